-- Delivery of the outbox (decisions.md › Email delivery). A worker claims a due message by setting
-- status `sending`, `lease_until` and its own `lease_owner` in one UPDATE … WHERE that only one
-- claimer can win; only the lease's owner may then record the outcome. A lease that expires (the
-- process died mid-send) makes the message due again.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
-- The Message-ID header of the last attempt (the same on every retry), so an operator can find the
-- message in the SMTP server's logs.
ALTER TABLE outbox ADD COLUMN message_id TEXT;
-- The purge of old messages walks by age.
CREATE INDEX outbox_created ON outbox (created_at);

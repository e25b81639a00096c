-- A claim on an Idempotency-Key is a lease: the request running it (`lease_owner`) holds it until
-- `lease_until` (ms) and renews it while it runs. A claim whose request died (its answer never
-- stored) is taken over once the lease has run out, instead of answering 409 for 24 hours.
-- Claims made before this migration get 0: reclaimable at once.
ALTER TABLE idempotency_records ADD COLUMN lease_owner TEXT;
ALTER TABLE idempotency_records ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
-- Expired records are swept oldest first.
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);

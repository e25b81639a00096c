-- What cached API keys depend on (issue 14 item 2): the seq of the account's last write that can
-- change a key row (a key created or revoked; an environment or application changed, or a change
-- the journal does not classify). Every write moves `seq`; only those move `key_seq` too, so a
-- node's cached key stays valid across the identity writes it makes itself instead of being read
-- again after each one. Existing accounts start at 0: no process caches a key across the upgrade.
ALTER TABLE access_heads ADD COLUMN key_seq BIGINT NOT NULL DEFAULT 0;

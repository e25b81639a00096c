-- Environment-scoped API keys (decisions.md › Tenancy). Only the SHA-256 of a key is stored;
-- nothing can recover a key. `scopes` is a JSON array of management permission keys; an empty
-- array means full access in the key's environment.
CREATE TABLE api_keys (
    account_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    application_id TEXT NOT NULL,
    environment_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    key_hash       TEXT NOT NULL,
    key_preview    TEXT NOT NULL,
    scopes         TEXT NOT NULL DEFAULT '[]',
    expires_at     BIGINT,
    revoked_at     BIGINT,
    last_used_at   BIGINT,
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (key_hash),
    FOREIGN KEY (account_id, environment_id) REFERENCES environments (account_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_by_environment ON api_keys (account_id, environment_id);

-- Identity (end-user) sign-in: server-side sessions, the refresh tokens they rotated away, and the
-- single-use emailed tokens (password reset, email verification). Secrets are stored only as
-- SHA-256 digests (app::services::tokens).

-- One row per signed-in identity and device. A session starts bound to no application while the
-- identity picks one (application_id NULL, access_hash = the short-lived selection token) and is
-- bound to the Application and its default Environment from then on. access_hash is rotated with
-- every refresh; expires_at is the absolute lifetime, last_seen_at drives the idle one.
CREATE TABLE identity_sessions (
    account_id        TEXT NOT NULL,
    id                TEXT NOT NULL,
    identity_id       TEXT NOT NULL,
    application_id    TEXT,
    environment_id    TEXT,
    access_hash       TEXT NOT NULL UNIQUE,
    access_expires_at BIGINT NOT NULL,
    refresh_hash      TEXT UNIQUE,
    created_at        BIGINT NOT NULL,
    last_seen_at      BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    ip                TEXT,
    user_agent        TEXT,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, identity_id) REFERENCES identities (account_id, id) ON DELETE CASCADE
);
CREATE INDEX identity_sessions_by_identity ON identity_sessions (account_id, identity_id);

-- Refresh tokens a session has rotated away. Presenting one again means two parties hold the
-- session's tokens (a stolen cookie): the session is ended (refresh-token reuse detection).
CREATE TABLE identity_spent_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    spent_at   BIGINT NOT NULL,
    FOREIGN KEY (account_id, session_id) REFERENCES identity_sessions (account_id, id) ON DELETE CASCADE
);

-- Emailed single-use tokens. used_at is stamped when the page's form is submitted (opening the
-- link never spends it); a newer token of the same purpose replaces the older unused ones.
CREATE TABLE identity_tokens (
    token_hash     TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    identity_id    TEXT NOT NULL,
    purpose        TEXT NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
    application_id TEXT,
    environment_id TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    FOREIGN KEY (account_id, identity_id) REFERENCES identities (account_id, id) ON DELETE CASCADE
);
CREATE INDEX identity_tokens_by_identity ON identity_tokens (account_id, identity_id, purpose);

-- `forgot-password` (the hosted page) and `v1` (the identity API, /v1/identity/auth/…) join the
-- reserved first path segments (app::model::slug::RESERVED_SLUGS); holders are renamed as 0005 does.
UPDATE accounts SET slug = slug || '-2'
WHERE slug IN ('forgot-password', 'v1')
  AND NOT EXISTS (SELECT 1 FROM accounts AS other WHERE other.slug = accounts.slug || '-2');
UPDATE accounts SET slug = slug || '-' || substr(id, length(id) - 11)
WHERE slug IN ('forgot-password', 'v1');

UPDATE applications SET slug = slug || '-2'
WHERE slug IN ('forgot-password', 'v1')
  AND NOT EXISTS (SELECT 1 FROM applications AS other WHERE other.account_id = applications.account_id AND other.slug = applications.slug || '-2');
UPDATE applications SET slug = slug || '-' || substr(id, length(id) - 11)
WHERE slug IN ('forgot-password', 'v1');

UPDATE environments SET slug = slug || '-2'
WHERE slug IN ('forgot-password', 'v1')
  AND NOT EXISTS (SELECT 1 FROM environments AS other WHERE other.account_id = environments.account_id AND other.application_id = environments.application_id AND other.slug = environments.slug || '-2');
UPDATE environments SET slug = slug || '-' || substr(id, length(id) - 11)
WHERE slug IN ('forgot-password', 'v1');

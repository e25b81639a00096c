-- Identity invites (decisions.md › Invites and email). An invite of an Environment carries that
-- environment's application; an Account-tier invite (Tenant › Identities) has no environment and
-- an optional application. Only the SHA-256 of the link's token is stored, and a resend replaces
-- it, so an older link stops working. `expired` is also derived from `expires_at` when read; it
-- is stored only when a new invite for the same email replaces an expired pending one.
CREATE TABLE identity_invites (
    account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    application_id TEXT,
    environment_id TEXT,
    email          TEXT NOT NULL,
    intent         TEXT NOT NULL CHECK (intent IN ('activate', 'add_to_app', 'password_reset')),
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    role_id        TEXT,
    node_id        TEXT,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
    token_hash     TEXT NOT NULL UNIQUE,
    send_email     BIGINT NOT NULL CHECK (send_email IN (0, 1)),
    expires_at     BIGINT NOT NULL,
    -- Who invited: the admin's or API key's id, and the admin's email (shown on the accept page).
    invited_by     TEXT NOT NULL,
    inviter_email  TEXT,
    accepted_at    BIGINT,
    identity_id    TEXT,
    revoked_at     BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    CHECK ((role_id IS NULL) = (node_id IS NULL)),
    FOREIGN KEY (account_id, application_id) REFERENCES applications (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, environment_id) REFERENCES environments (account_id, id) ON DELETE CASCADE
);
-- One pending invite per email and scope (an environment, or the Account tier): the rule behind
-- 409 `invites.pending_exists`, also under concurrent creates.
CREATE UNIQUE INDEX identity_invites_one_pending
    ON identity_invites (account_id, COALESCE(environment_id, ''), email) WHERE status = 'pending';
CREATE INDEX identity_invites_by_environment ON identity_invites (account_id, environment_id, created_at);

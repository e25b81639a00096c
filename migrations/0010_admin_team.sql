-- The admin team (decisions.md › Team): invitations of admins to an Account, and when each admin
-- last signed in (Tenant › Team). Only the SHA-256 of an invite link's token is stored; a resend
-- replaces it, so an older link stops working. A pending invite past `expires_at` reads as
-- expired; `expired` is stored only when a new invite for the same email replaces it.
CREATE TABLE admin_invites (
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
    token_hash    TEXT NOT NULL UNIQUE,
    expires_at    BIGINT NOT NULL,
    invited_by    TEXT NOT NULL,
    inviter_email TEXT NOT NULL,
    admin_user_id TEXT,
    accepted_at   BIGINT,
    revoked_at    BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);
-- One pending invite per email and Account: the rule behind 409 `invites.pending_exists`, also
-- under concurrent invites.
CREATE UNIQUE INDEX admin_invites_one_pending ON admin_invites (account_id, email) WHERE status = 'pending';
CREATE INDEX admin_invites_by_account ON admin_invites (account_id, created_at);

ALTER TABLE admin_users ADD COLUMN last_sign_in_at BIGINT;

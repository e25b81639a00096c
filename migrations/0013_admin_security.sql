-- Admin account security (issue 12, item 2): the emailed single-use links of dashboard admins
-- (password reset, email verification). Like identity_tokens: only the SHA-256 of a token is
-- stored; used_at is stamped when the page's form is submitted (opening the link never spends
-- it); a newer token of the same purpose replaces the older unused ones. Admins are platform
-- principals (not account-owned), so the table is keyed by the admin alone.
CREATE TABLE admin_tokens (
    token_hash    TEXT PRIMARY KEY,
    id            TEXT NOT NULL,
    admin_user_id TEXT NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    purpose       TEXT NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);
CREATE INDEX admin_tokens_by_admin ON admin_tokens (admin_user_id, purpose);

-- The Account an admin of several last chose in the header's Account picker: sign-in lands there
-- (dashboard URLs carry the Account, so nothing else needs it). NULL: the first Account joined.
ALTER TABLE admin_users ADD COLUMN last_account_id TEXT;

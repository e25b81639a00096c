-- Outgoing email. A message is queued in the transaction of the write that causes it (an invite,
-- a password reset), so it exists only if that write commits; a worker delivers it afterwards.
-- Without an SMTP server configured, the queue is the Dev mailbox: messages stay `held` and the
-- dashboard shows them.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    application_id  TEXT,
    environment_id  TEXT,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    -- Emptied once delivered by SMTP: bodies carry single-use links that must not outlive delivery.
    html_body       TEXT,
    text_body       TEXT,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'held')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_account ON outbox (account_id, created_at);

-- Idempotency-Key records of API bulk requests: one per (API key, idempotency key), kept 24 h.
-- `status` 0 marks a request still being processed; then the stored answer is replayed.
CREATE TABLE idempotency_records (
    account_id     TEXT NOT NULL,
    api_key_id     TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status         BIGINT NOT NULL DEFAULT 0,
    body           TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);

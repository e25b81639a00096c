-- Limits and background work shared by every Arbor node on one database (issue 15 item 9,
-- decisions.md › Several nodes). Each table is written by single-statement upserts whose WHERE
-- decides (on PostgreSQL the row lock makes a concurrent upsert re-check it against the winner's
-- result; SQLite serialises writers), so no read-then-write race exists between nodes. Keys are
-- `<limit>:<sha256 of the subject>`: no email or address is stored here.

-- Failure throttles and per-address limits: a window that opens at its first hit and counts
-- hits until `window_start + window`; then the next hit opens a new one. Purged once expired.
CREATE TABLE limit_counters (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX limit_counters_by_expiry ON limit_counters (expires_at);

-- Per-API-key budgets as a GCRA: `tat_ns` is the theoretical arrival time of the next request in
-- nanoseconds of the injected clock (a token is 60 s / rate, which at 20,000 a second is 50 µs,
-- finer than milliseconds). Nodes lease tokens in chunks; `granted` is the last lease's size (the
-- statement's answer). A `tat_ns` in the past is a full bucket: nothing to keep.
CREATE TABLE rate_buckets (
    key     TEXT PRIMARY KEY,
    tat_ns  BIGINT NOT NULL,
    granted BIGINT NOT NULL
);
CREATE INDEX rate_buckets_by_tat ON rate_buckets (tat_ns);

-- Background work done once per period across nodes: a node runs a job only after it took the
-- job's lease (`lease_until` in the past, or no row yet). `runs` counts the runs, for tests and
-- operators.
CREATE TABLE job_leases (
    job         TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    runs        BIGINT NOT NULL
);

-- The evaluation change journal (issue 14 item 3, issue 15 item 9). Every write that can change
-- an evaluation answer bumps its account's head and appends what it touched, in the write's own
-- transaction (`audit::commit`). The head row is updated last, just before the commit, so its
-- row lock orders the writes of one account: a journal seq is committed in seq order, without
-- gaps, and a reader that has applied every seq up to N has seen every change up to N.
-- Processes keep their snapshots at a seq and apply only what changed since; rows older than a
-- few minutes are pruned (a process that fell further behind reloads whole).
CREATE TABLE access_heads (
    account_id TEXT PRIMARY KEY,
    seq        BIGINT NOT NULL
);

-- kind: identity (re-read one identity's standing and assignments: environment_id NULL = in
-- every environment), structure (re-read nodes and roles), environment (re-read everything),
-- key (nothing to re-read: an API key changed, which key caches must notice).
CREATE TABLE access_journal (
    account_id     TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    ord            BIGINT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('identity', 'structure', 'environment', 'key')),
    environment_id TEXT,
    identity_id    TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, seq, ord)
);
CREATE INDEX access_journal_by_age ON access_journal (created_at);

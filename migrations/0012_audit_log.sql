-- The audit log as a page, an API and an export (Tenant › Audit log, GET /api/v1/audit-events),
-- and how long an account keeps it.
--
-- Pages are keyset-paged newest first on (created_at, id): each filter the log offers gets an
-- index that ends in those two columns, so a filtered page is one index range read whatever the
-- log's size (server/benches/audit_log.rs measures 1,000,000 events). The time range alone uses
-- audit_events_page; category is common enough that the page index serves it.
CREATE INDEX audit_events_page ON audit_events (account_id, created_at, id);
DROP INDEX audit_events_by_time;
CREATE INDEX audit_events_by_actor ON audit_events (account_id, actor_id, created_at, id);
CREATE INDEX audit_events_by_action ON audit_events (account_id, action, created_at, id);
CREATE INDEX audit_events_by_category ON audit_events (account_id, category, created_at, id);
CREATE INDEX audit_events_by_application ON audit_events (account_id, application_id, created_at, id);
CREATE INDEX audit_events_by_environment ON audit_events (account_id, environment_id, created_at, id);
CREATE INDEX audit_events_by_correlation ON audit_events (account_id, correlation_id);
DROP INDEX audit_events_by_resource;
CREATE INDEX audit_events_by_resource ON audit_events (account_id, resource_type, resource_id, created_at, id);

-- Days an account keeps its audit events; a background purge deletes older ones in batches.
ALTER TABLE accounts ADD COLUMN audit_retention_days BIGINT NOT NULL DEFAULT 365;

-- Arbor foundation schema. One dialect for SQLite and PostgreSQL: ids are UUIDv7 text, times are
-- BIGINT milliseconds since the Unix epoch (UTC), JSON is TEXT, and flags are BIGINT 0/1 (sqlx's
-- Any driver cannot read SQLite's BOOLEAN columns reliably). Tenant-owned tables carry
-- account_id, which leads their primary key and every index, and composite foreign keys keep a row
-- from ever pointing into another account. Migrations are append-only from here on.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    settings    TEXT NOT NULL DEFAULT '{}',
    plan        TEXT NOT NULL DEFAULT 'free',
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Dashboard admins are platform principals (not identities); an admin may belong to several
-- accounts through account_members.
CREATE TABLE admin_users (
    id                TEXT PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,
    first_name        TEXT NOT NULL,
    last_name         TEXT NOT NULL,
    password_hash     TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    email_verified_at BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE account_members (
    account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    admin_user_id TEXT NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, admin_user_id)
);
CREATE INDEX account_members_by_admin ON account_members (admin_user_id);

-- Only the SHA-256 of the session token is stored.
CREATE TABLE admin_sessions (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    admin_user_id TEXT NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    ip            TEXT,
    user_agent    TEXT
);
CREATE INDEX admin_sessions_by_admin ON admin_sessions (admin_user_id);

CREATE TABLE applications (
    account_id             TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id                     TEXT NOT NULL,
    name                   TEXT NOT NULL,
    slug                   TEXT NOT NULL,
    settings               TEXT NOT NULL DEFAULT '{}',
    default_environment_id TEXT,
    version                BIGINT NOT NULL DEFAULT 1,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, slug)
);

-- settings holds access_model ("flat" | "hierarchy") and hierarchy_schema.
CREATE TABLE environments (
    account_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    application_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    slug           TEXT NOT NULL,
    kind           TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('development', 'production', 'other')),
    settings       TEXT NOT NULL DEFAULT '{}',
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, application_id, slug),
    FOREIGN KEY (account_id, application_id) REFERENCES applications (account_id, id) ON DELETE CASCADE
);

CREATE TABLE nodes (
    account_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    environment_id TEXT NOT NULL,
    parent_node_id TEXT,
    node_type      TEXT NOT NULL,
    name           TEXT NOT NULL,
    slug           TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    metadata       TEXT NOT NULL DEFAULT '{}',
    depth          BIGINT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, environment_id) REFERENCES environments (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, parent_node_id) REFERENCES nodes (account_id, id)
);
CREATE INDEX nodes_by_parent ON nodes (account_id, environment_id, parent_node_id);
CREATE UNIQUE INDEX nodes_one_root ON nodes (account_id, environment_id) WHERE parent_node_id IS NULL;
CREATE UNIQUE INDEX nodes_sibling_slug ON nodes (account_id, environment_id, parent_node_id, slug);

CREATE TABLE permissions (
    account_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    environment_id TEXT NOT NULL,
    key            TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    category       TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL CHECK (source IN ('system', 'custom')),
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, environment_id, key),
    FOREIGN KEY (account_id, environment_id) REFERENCES environments (account_id, id) ON DELETE CASCADE
);

CREATE TABLE roles (
    account_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    environment_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    is_system      BIGINT NOT NULL DEFAULT 0 CHECK (is_system IN (0, 1)),
    system_key     TEXT,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, environment_id) REFERENCES environments (account_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX roles_name_unique ON roles (account_id, environment_id, lower(name));

CREATE TABLE role_permissions (
    account_id    TEXT NOT NULL,
    role_id       TEXT NOT NULL,
    permission_id TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, role_id, permission_id),
    FOREIGN KEY (account_id, role_id) REFERENCES roles (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, permission_id) REFERENCES permissions (account_id, id) ON DELETE CASCADE
);
CREATE INDEX role_permissions_by_permission ON role_permissions (account_id, permission_id);

-- End users: one directory per account. status: pending (no password yet), active, inactive.
CREATE TABLE identities (
    account_id               TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id                       TEXT NOT NULL,
    email                    TEXT NOT NULL,
    first_name               TEXT NOT NULL,
    last_name                TEXT NOT NULL,
    external_id              TEXT,
    metadata                 TEXT,
    status                   TEXT NOT NULL CHECK (status IN ('pending', 'active', 'inactive')),
    password_hash            TEXT,
    password_change_required BIGINT NOT NULL DEFAULT 0 CHECK (password_change_required IN (0, 1)),
    password_changed_at      BIGINT,
    email_verified_at        BIGINT,
    failed_login_count       BIGINT NOT NULL DEFAULT 0,
    locked_until             BIGINT,
    version                  BIGINT NOT NULL DEFAULT 1,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, email)
);
CREATE UNIQUE INDEX identities_external_id ON identities (account_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE app_memberships (
    account_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    identity_id    TEXT NOT NULL,
    application_id TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('invited', 'active', 'deactivated', 'suspended')),
    invited_at     BIGINT,
    activated_at   BIGINT,
    deactivated_at BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, application_id, identity_id),
    FOREIGN KEY (account_id, identity_id) REFERENCES identities (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, application_id) REFERENCES applications (account_id, id) ON DELETE CASCADE
);
CREATE INDEX app_memberships_by_identity ON app_memberships (account_id, identity_id);

CREATE TABLE assignments (
    account_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    environment_id TEXT NOT NULL,
    identity_id    TEXT NOT NULL,
    role_id        TEXT NOT NULL,
    node_id        TEXT NOT NULL,
    effective_from BIGINT NOT NULL,
    effective_to   BIGINT,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, environment_id, identity_id, role_id, node_id),
    CHECK (effective_to IS NULL OR effective_to > effective_from),
    FOREIGN KEY (account_id, environment_id) REFERENCES environments (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, identity_id) REFERENCES identities (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, role_id) REFERENCES roles (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, node_id) REFERENCES nodes (account_id, id) ON DELETE CASCADE
);
CREATE INDEX assignments_by_node ON assignments (account_id, environment_id, node_id);
CREATE INDEX assignments_by_identity ON assignments (account_id, identity_id);

-- Append-only. actor_type: admin, api_key, identity, system. Metadata never holds secrets.
CREATE TABLE audit_events (
    account_id     TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    application_id TEXT,
    environment_id TEXT,
    actor_type     TEXT NOT NULL,
    actor_id       TEXT,
    actor_label    TEXT NOT NULL DEFAULT '',
    action         TEXT NOT NULL,
    category       TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT,
    resource_label TEXT NOT NULL DEFAULT '',
    outcome        TEXT NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'failure', 'denied')),
    severity       TEXT NOT NULL DEFAULT 'info',
    correlation_id TEXT NOT NULL,
    metadata       TEXT NOT NULL DEFAULT '{}',
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX audit_events_by_time ON audit_events (account_id, created_at);
CREATE INDEX audit_events_by_resource ON audit_events (account_id, resource_type, resource_id);

-- The environment an admin last worked in, per application ("resume state").
CREATE TABLE admin_app_state (
    account_id     TEXT NOT NULL,
    admin_user_id  TEXT NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    application_id TEXT NOT NULL,
    environment_id TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, admin_user_id, application_id),
    FOREIGN KEY (account_id, application_id) REFERENCES applications (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, environment_id) REFERENCES environments (account_id, id) ON DELETE CASCADE
);

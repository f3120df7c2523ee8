-- Accounts and the audit trail. Written in the SQL both SQLite and PostgreSQL accept, so one
-- set of migrations serves both backends: text IDs, BIGINT unix-millisecond timestamps.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    request TEXT NOT NULL,
    -- 'pending' is written before the engine is touched, so a crash leaves a trace.
    outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'ok', 'error')),
    error TEXT,
    finished_at BIGINT
);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor);

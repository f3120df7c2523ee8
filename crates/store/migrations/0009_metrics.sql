-- What a metric is about: a task, a service or a node of a swarm. Its ID is a hash of
-- (swarm, kind, name) made by the console, so samples carry a small number, not names.
CREATE TABLE metric_subjects (
    id BIGINT PRIMARY KEY,
    swarm_id TEXT NOT NULL,
    -- task, service or node
    kind TEXT NOT NULL,
    -- A task's ID, a service's name, a node's ID.
    name TEXT NOT NULL,
    -- A task's service and node; empty otherwise.
    service TEXT NOT NULL DEFAULT '',
    node TEXT NOT NULL DEFAULT '',
    -- The latest memory limit seen, in bytes.
    memory_limit BIGINT NOT NULL DEFAULT 0,
    last_at BIGINT NOT NULL
);
CREATE INDEX metric_subjects_by_swarm ON metric_subjects (swarm_id, kind, service);

-- The samples themselves (metric_samples) are made by the store after the migrations: on
-- SQLite the table is WITHOUT ROWID, which PostgreSQL's syntax lacks (see metrics.rs).

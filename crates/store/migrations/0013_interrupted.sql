-- A console that stops (killed, power lost, or the request cancelled) during an action leaves
-- its audit row 'pending'; 'interrupted' says so once the row is known to be orphaned. The
-- CHECK cannot be altered in place on SQLite, so the table is rebuilt.
CREATE TABLE audit_events_rebuilt (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    request TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'ok', 'error', 'interrupted')),
    error TEXT,
    finished_at BIGINT,
    -- The console that wrote the row: only a console that stopped leaves orphans.
    console_id TEXT
);

INSERT INTO audit_events_rebuilt (id, at, actor, client_addr, action, target, request, outcome, error, finished_at)
SELECT id, at, actor, client_addr, action, target, request, outcome, error, finished_at FROM audit_events;

DROP TABLE audit_events;
ALTER TABLE audit_events_rebuilt RENAME TO audit_events;
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor);
CREATE INDEX audit_events_target ON audit_events (target, at);

-- Consoles sharing the database say they are alive every few seconds.
CREATE TABLE consoles (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);

-- The input of the newest deploy started for each stack, so a deploy that never finished
-- can be planned again ("what is left") though it recorded no version. Variables and files
-- are sealed as in stack_versions.
CREATE TABLE stack_attempts (
    swarm_id TEXT NOT NULL,
    stack TEXT NOT NULL,
    compose TEXT NOT NULL,
    env TEXT NOT NULL,
    files TEXT NOT NULL,
    prune BIGINT NOT NULL,
    resolve_image TEXT NOT NULL,
    attempted_by TEXT NOT NULL,
    attempted_at BIGINT NOT NULL,
    PRIMARY KEY (swarm_id, stack)
);

-- Failed logins, so consoles sharing the database share the login limiter: each console
-- counts the others' failures (its own it keeps in memory). Keys are hashed.
CREATE TABLE login_failures (
    key_hash TEXT NOT NULL,
    at BIGINT NOT NULL,
    console_id TEXT NOT NULL
);

CREATE INDEX login_failures_key ON login_failures (key_hash, at);

-- Every deploy of a stack, so any version can be read, compared and deployed again.
CREATE TABLE stack_versions (
    id TEXT PRIMARY KEY,
    swarm_id TEXT NOT NULL,
    stack TEXT NOT NULL,
    -- 1, 2, 3… per swarm and stack.
    version BIGINT NOT NULL,
    compose TEXT NOT NULL,
    -- JSON: {"NAME": "value"}.
    env TEXT NOT NULL,
    -- JSON: {"relative/path": "<base64>"}.
    files TEXT NOT NULL,
    prune BIGINT NOT NULL,
    deployed_by TEXT NOT NULL,
    deployed_at BIGINT NOT NULL,
    UNIQUE (swarm_id, stack, version)
);

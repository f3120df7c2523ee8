-- Docker hosts the console may talk to, and the swarms it manages through them.
CREATE TABLE hosts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL UNIQUE,
    -- PEM material for tcp:// with TLS; written once, never sent back to a browser.
    tls_ca TEXT,
    tls_cert TEXT,
    tls_key TEXT,
    -- The swarm (cluster ID) and node ID this host's engine had when last seen.
    swarm_id TEXT,
    node_id TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE swarms (
    -- Docker's own cluster ID, so a swarm is the same record however it is reached.
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE INDEX hosts_swarm ON hosts (swarm_id);

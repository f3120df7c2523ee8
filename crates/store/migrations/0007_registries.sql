-- Image registries the console logs in to for the nodes: their credentials are sealed like
-- TLS keys, written once and never sent back to a browser.
CREATE TABLE registries (
    id TEXT PRIMARY KEY,
    -- As image references name it: host[:port].
    address TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- How a version's images were pinned to registry digests, as the CLI's `--resolve-image`:
-- always, changed or never.
ALTER TABLE stack_versions ADD COLUMN resolve_image TEXT NOT NULL DEFAULT 'always';

-- A registry's push notifications come to /hooks/registry/{token}: only the token's SHA-256
-- is kept, so the database alone cannot forge one. Empty until a token is made.
ALTER TABLE registries ADD COLUMN hook_hash TEXT NOT NULL DEFAULT '';

-- Services that follow their tag: a push of a new digest for it redeploys them. A row with
-- service '' stands for every service of the stack.
CREATE TABLE push_redeploys (
    swarm_id TEXT NOT NULL,
    stack TEXT NOT NULL,
    service TEXT NOT NULL,
    enabled_by TEXT NOT NULL,
    enabled_at BIGINT NOT NULL,
    PRIMARY KEY (swarm_id, stack, service)
);

-- Registry events acted on, by the registry's own event ID, so a replay changes nothing.
CREATE TABLE registry_events (
    id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);

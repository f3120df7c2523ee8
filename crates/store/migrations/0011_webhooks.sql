-- Redeploy webhooks: `POST /hooks/{token}` redeploys a stack (service '') or forces an update
-- of one service. Only the token's SHA-256 is kept; rotating replaces it.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    swarm_id TEXT NOT NULL,
    stack TEXT NOT NULL,
    service TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_called_at BIGINT
);

CREATE INDEX webhooks_target ON webhooks (swarm_id, stack, service);

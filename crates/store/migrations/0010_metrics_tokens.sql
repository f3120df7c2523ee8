-- Tokens of the `metrics` scope, which read /metrics and nothing else. A CHECK constraint
-- cannot be changed in place on SQLite: the table is made again with the wider one.
CREATE TABLE api_tokens_scoped (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'metrics')),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
INSERT INTO api_tokens_scoped (id, name, token_hash, role, created_at, revoked_at)
    SELECT id, name, token_hash, role, created_at, revoked_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_scoped RENAME TO api_tokens;

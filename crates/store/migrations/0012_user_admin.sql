-- Users administered from the console: a disabled user cannot log in and their sessions end
-- (disabling also moves them to the next session epoch). NULL: enabled.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- A token may expire: after expires_at (unix milliseconds) it is refused like a revoked one.
-- NULL: it lives until revoked.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;

-- Sessions end when the password changes: each session remembers the epoch it began in,
-- and a password change moves the user to the next one.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

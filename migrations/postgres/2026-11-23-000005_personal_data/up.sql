-- Erasing a person keeps their posts that others answered, as tombstones without author or body.
ALTER TABLE posts ALTER COLUMN author_id DROP NOT NULL;

-- When a session stops opening anything unless refreshed: retention counts from there.
ALTER TABLE sessions ADD COLUMN expires_at TIMESTAMP;
UPDATE sessions SET expires_at = COALESCE(
    (SELECT MAX(t.expires_at) FROM session_tokens t WHERE t.session_id = sessions.id),
    created_at);
ALTER TABLE sessions ALTER COLUMN expires_at SET NOT NULL;

-- The retention purge finds what it deletes without scanning.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_revoked_at ON sessions (revoked_at);
CREATE INDEX notifications_read_at ON notifications (read_at);

-- Work that several instances share and that must run once per period (the retention purge):
-- an instance claims a run by moving `last_run_at` forward with a guarded update.
CREATE TABLE scheduled_runs (
    name TEXT PRIMARY KEY NOT NULL,
    last_run_at TIMESTAMP NOT NULL
);
INSERT INTO scheduled_runs (name, last_run_at) VALUES ('retention_purge', '1970-01-01 00:00:00');

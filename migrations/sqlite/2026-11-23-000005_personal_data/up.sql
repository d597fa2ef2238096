-- Erasing a person keeps their posts that others answered, as tombstones without author or body,
-- so `posts.author_id` becomes nullable. SQLite changes a column's constraints only by rebuilding
-- the table; foreign keys stay off meanwhile so that dropping the old table cascades to nothing.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE posts_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    -- kept for anonymous posts too (moderation), never shown for them; null on a tombstone
    author_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    -- deleting a post deletes its replies
    parent_id TEXT REFERENCES posts (id) ON DELETE CASCADE,
    anonymous BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO posts_rebuilt (id, group_id, author_id, parent_id, anonymous, body, created_at)
    SELECT id, group_id, author_id, parent_id, anonymous, body, created_at FROM posts;
DROP TABLE posts;
ALTER TABLE posts_rebuilt RENAME TO posts;
CREATE INDEX posts_group_parent ON posts (group_id, parent_id, id);
CREATE INDEX posts_parent ON posts (parent_id, id);
CREATE INDEX posts_author ON posts (author_id);

-- When a session stops opening anything unless refreshed: retention counts from there.
ALTER TABLE sessions ADD COLUMN expires_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE sessions SET expires_at = COALESCE(
    (SELECT MAX(t.expires_at) FROM session_tokens t WHERE t.session_id = sessions.id),
    created_at);

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

COMMIT;
PRAGMA foreign_keys = ON;

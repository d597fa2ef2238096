PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

DROP TABLE scheduled_runs;
DROP INDEX notifications_read_at;
DROP INDEX sessions_revoked_at;
DROP INDEX sessions_expires_at;
ALTER TABLE sessions DROP COLUMN expires_at;

-- Tombstones have no author to give back.
DELETE FROM posts WHERE author_id IS NULL;
CREATE TABLE posts_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    -- kept for anonymous posts too (moderation), never shown for them
    author_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
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

COMMIT;
PRAGMA foreign_keys = ON;

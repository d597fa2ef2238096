DROP TABLE scheduled_runs;
DROP INDEX notifications_read_at;
DROP INDEX sessions_revoked_at;
DROP INDEX sessions_expires_at;
ALTER TABLE sessions DROP COLUMN expires_at;
-- Tombstones have no author to give back.
DELETE FROM posts WHERE author_id IS NULL;
ALTER TABLE posts ALTER COLUMN author_id SET NOT NULL;

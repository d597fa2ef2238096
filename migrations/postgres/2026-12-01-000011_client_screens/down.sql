ALTER TABLE users DROP COLUMN name_key;
ALTER TABLE conversations DROP COLUMN last_activity_at;
ALTER TABLE messages DROP COLUMN edited_at;
ALTER TABLE posts DROP COLUMN edited_at;

ALTER TABLE notifications ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN body TEXT NOT NULL DEFAULT '';
DROP INDEX notifications_about_id;
ALTER TABLE notifications DROP COLUMN params;
ALTER TABLE notifications DROP COLUMN about_id;

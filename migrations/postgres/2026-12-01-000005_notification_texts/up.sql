-- A notification keeps what it is about, not a text with someone's name in it: its text is
-- rendered when read, in the reader's language, from its kind, its parameters (`params`: a
-- group's name, a workshop's title, hours; never a person) and the person it names
-- (`about_id`), who reads as the erased account's label once gone.
ALTER TABLE notifications ADD COLUMN about_id TEXT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE notifications ADD COLUMN params TEXT NOT NULL DEFAULT 'null';
CREATE INDEX notifications_about_id ON notifications (about_id);
ALTER TABLE notifications DROP COLUMN title;
ALTER TABLE notifications DROP COLUMN body;

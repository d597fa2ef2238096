-- The weekly check-in reminder: the slot a person picks (ISO weekday, 1 = Monday; local HH:MM),
-- and when their next reminder is due.
ALTER TABLE notification_preferences ADD COLUMN checkin_reminder_weekday INTEGER NOT NULL DEFAULT 1;
ALTER TABLE notification_preferences ADD COLUMN checkin_reminder_time TEXT NOT NULL DEFAULT '09:00';

CREATE TABLE checkin_reminders (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- UTC; moved a week on by the one instance whose guarded update sends it, or to the new
    -- slot when the person changes it or their time zone
    due_at TIMESTAMP NOT NULL
);
CREATE INDEX checkin_reminders_due_at ON checkin_reminders (due_at);

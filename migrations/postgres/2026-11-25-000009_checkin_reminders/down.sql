DROP TABLE checkin_reminders;
ALTER TABLE notification_preferences DROP COLUMN checkin_reminder_time;
ALTER TABLE notification_preferences DROP COLUMN checkin_reminder_weekday;

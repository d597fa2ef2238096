-- Whether a group workshop's reminders may show its title on the lock screen (a group's name or
-- a workshop's title can tell what someone is going through): off unless the person allows it.
ALTER TABLE notification_preferences ADD COLUMN group_workshop_titles BOOLEAN NOT NULL DEFAULT FALSE;

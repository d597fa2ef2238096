DROP TABLE push_outbox;
DROP TABLE notification_data;
DROP TABLE notifications;
DROP TABLE notification_preferences;
DROP TABLE devices;

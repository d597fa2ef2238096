CREATE TABLE devices (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the FCM registration token; one device, one owner
    token TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX devices_user_id ON devices (user_id, last_seen_at);
CREATE INDEX devices_last_seen_at ON devices (last_seen_at);

CREATE TABLE notification_preferences (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_activity BOOLEAN NOT NULL,
    mentorship BOOLEAN NOT NULL,
    workshop BOOLEAN NOT NULL,
    checkin_reminder BOOLEAN NOT NULL,
    -- local HH:MM in the user's time zone; both set or both null
    quiet_hours_start TEXT,
    quiet_hours_end TEXT,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- a scheduled notification (a reminder) is created at its due time and hidden until then
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    schedule_key TEXT
);
CREATE INDEX notifications_schedule_key ON notifications (schedule_key);
-- ids are UUID v7: ordering by id is ordering by creation
CREATE INDEX notifications_user_id ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);

-- what the app needs to open the right screen (ids), sent as the push's data
CREATE TABLE notification_data (
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (notification_id, name)
);

-- the transactional outbox: one row per push to one device
CREATE TABLE push_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- null once the device is gone: the row then ends DROPPED
    device_id TEXT REFERENCES devices (id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    -- scheduled rows can be cancelled by key (workshop:{id}:reminder:1h); also the collapse key
    schedule_key TEXT,
    attempts INTEGER NOT NULL,
    not_before TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claim_expires_at TIMESTAMP,
    last_error TEXT,
    fcm_message_name TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX push_outbox_due ON push_outbox (status, not_before);
CREATE INDEX push_outbox_schedule_key ON push_outbox (schedule_key);
CREATE INDEX push_outbox_device_id ON push_outbox (device_id);
CREATE INDEX push_outbox_notification_id ON push_outbox (notification_id);
CREATE INDEX push_outbox_user_id ON push_outbox (user_id);

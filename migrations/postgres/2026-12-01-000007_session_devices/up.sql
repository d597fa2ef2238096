-- What a person sees of their sessions: when each was last used (its last sign-in or refresh)
-- and the device it is on, from the app's user agent.
ALTER TABLE sessions ADD COLUMN last_used_at TIMESTAMP;
ALTER TABLE sessions ADD COLUMN device TEXT;

-- What a person agreed to, one row per purpose: the version of the text they accepted and when.
-- Withdrawing deletes the row (and, for HEALTH_DATA, the check-ins processed under it).
CREATE TABLE consents (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    version TEXT NOT NULL,
    given_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, purpose)
);

-- Anonymous wellbeing check-ins. A check-in is kept under a pseudonym, HMAC-SHA256(secret, user
-- id), with no foreign key to users, and with the local day it was made, never a time.
CREATE TABLE checkins (
    -- a random UUID (v4): a time-ordered id would carry the time of day
    id TEXT PRIMARY KEY NOT NULL,
    pseudonym TEXT NOT NULL,
    instrument TEXT NOT NULL,
    score INTEGER NOT NULL,
    -- the day in the person's time zone
    recorded_on DATE NOT NULL
);
CREATE INDEX checkins_pseudonym ON checkins (pseudonym, instrument, recorded_on);
CREATE INDEX checkins_recorded_on ON checkins (recorded_on);

-- The groups whose anonymous aggregates count a check-in: fixed at submission, without author.
CREATE TABLE checkin_shares (
    checkin_id TEXT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (checkin_id, group_id)
);
CREATE INDEX checkin_shares_group ON checkin_shares (group_id, checkin_id);

-- Workshops and meetups: capacity with a fair waitlist, attendance, ratings, calendar feeds.
CREATE TABLE workshops (
    id TEXT PRIMARY KEY NOT NULL,
    -- null once the organiser erased their account: the workshop stays for its attendees' records
    organiser_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- a group workshop is listed to that group's active members only
    group_id TEXT REFERENCES peer_groups (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    technique TEXT NOT NULL,
    format TEXT NOT NULL,
    language TEXT NOT NULL,
    region TEXT,
    -- UTC; timezone names where it is held
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    timezone TEXT NOT NULL,
    location TEXT,
    latitude REAL,
    longitude REAL,
    online_url TEXT,
    materials TEXT,
    capacity INTEGER NOT NULL,
    status TEXT NOT NULL,
    cancel_reason TEXT,
    -- the next registration's place in line (first come, first served), taken under the
    -- workshop's row lock
    next_queue_number INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX workshops_status_starts_at ON workshops (status, starts_at);
CREATE INDEX workshops_organiser_id ON workshops (organiser_id);
CREATE INDEX workshops_group_id ON workshops (group_id);
CREATE INDEX workshops_latitude ON workshops (latitude);

CREATE TABLE workshop_registrations (
    id TEXT PRIMARY KEY NOT NULL,
    workshop_id TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    queue_number INTEGER NOT NULL,
    -- null until the organiser records it
    attended BOOLEAN,
    -- set once attendance is recorded; anyone holding it may verify the certificate
    certificate_code TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (workshop_id, user_id)
);
CREATE INDEX workshop_registrations_queue ON workshop_registrations (workshop_id, status, queue_number);
CREATE INDEX workshop_registrations_user_id ON workshop_registrations (user_id);

CREATE TABLE workshop_ratings (
    workshop_id TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL,
    comment TEXT,
    rated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (workshop_id, user_id)
);
CREATE INDEX workshop_ratings_user_id ON workshop_ratings (user_id);

-- A personal calendar feed: its URL's token is derived from the secret and the generation, and
-- only its HMAC is stored; rotating moves to the next generation.
CREATE TABLE calendar_feeds (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

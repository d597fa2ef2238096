-- Mentorship: mentor profiles, requests and their lifecycle, goals, feedback, opt-in for
-- matching rounds; conversations (1:1 threads other features reuse); a private workplace.

-- Never shown to others: nobody is matched with someone from their own workplace.
ALTER TABLE users ADD COLUMN workplace TEXT;
-- the workplace as compared: normalised, case-folded
ALTER TABLE users ADD COLUMN workplace_key TEXT;

CREATE TABLE conversations (
    id TEXT PRIMARY KEY NOT NULL,
    -- false once what it serves (a mentorship, a support request) has ended: read-only
    open BOOLEAN NOT NULL,
    -- the notification category of its message notices (MENTORSHIP…)
    category TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);

CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- read receipts: the newest message this person has seen
    last_read_at TIMESTAMP,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_id ON conversation_members (user_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- ids are UUID v7, time-ordered: a page of messages is an id range
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_author_id ON messages (author_id);

CREATE TABLE mentor_profiles (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    headline TEXT NOT NULL,
    years_of_experience INTEGER NOT NULL,
    -- most mentees at once; 0 is a break
    capacity INTEGER NOT NULL,
    accepting_mentees BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX mentor_profiles_accepting ON mentor_profiles (accepting_mentees, capacity);

CREATE TABLE mentor_areas (
    user_id TEXT NOT NULL REFERENCES mentor_profiles (user_id) ON DELETE CASCADE,
    area TEXT NOT NULL,
    PRIMARY KEY (user_id, area)
);
CREATE INDEX mentor_areas_area ON mentor_areas (area, user_id);

-- Mentees who opted in to matching rounds, with the areas they seek help in.
CREATE TABLE mentee_seeking (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    area TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, area)
);

CREATE TABLE mentorships (
    id TEXT PRIMARY KEY NOT NULL,
    mentor_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mentee_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    decline_reason TEXT,
    -- set when a matching round proposed it
    round_id TEXT,
    conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    responded_at TIMESTAMP,
    ended_at TIMESTAMP
);
CREATE INDEX mentorships_mentor ON mentorships (mentor_id, status);
CREATE INDEX mentorships_mentee ON mentorships (mentee_id, status);
CREATE INDEX mentorships_status_created_at ON mentorships (status, created_at);
CREATE INDEX mentorships_conversation_id ON mentorships (conversation_id);

CREATE TABLE mentorship_areas (
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id) ON DELETE CASCADE,
    area TEXT NOT NULL,
    PRIMARY KEY (mentorship_id, area)
);

CREATE TABLE mentorship_goals (
    id TEXT PRIMARY KEY NOT NULL,
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP
);
CREATE INDEX mentorship_goals_mentorship ON mentorship_goals (mentorship_id, created_at);
CREATE INDEX mentorship_goals_created_by ON mentorship_goals (created_by);

CREATE TABLE mentorship_feedback (
    mentorship_id TEXT NOT NULL REFERENCES mentorships (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- whom the rating is about: the other person of the mentorship
    subject_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL,
    -- private to its author
    note TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (mentorship_id, author_id)
);
CREATE INDEX mentorship_feedback_subject ON mentorship_feedback (subject_id);
CREATE INDEX mentorship_feedback_author ON mentorship_feedback (author_id);

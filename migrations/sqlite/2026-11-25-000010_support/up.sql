-- Reaching out: peer supporters' availability and support requests.
CREATE TABLE supporter_availability (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- a supporter is available once granted the role, until they pause
    available BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE support_requests (
    id TEXT PRIMARY KEY NOT NULL,
    requester_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- who took it; null while open
    supporter_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    note TEXT,
    language TEXT NOT NULL,
    conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    taken_at TIMESTAMP,
    closed_at TIMESTAMP
);
CREATE INDEX support_requests_requester_id ON support_requests (requester_id);
CREATE INDEX support_requests_supporter_id ON support_requests (supporter_id);
CREATE INDEX support_requests_open ON support_requests (status, language, created_at);
CREATE INDEX support_requests_conversation_id ON support_requests (conversation_id);

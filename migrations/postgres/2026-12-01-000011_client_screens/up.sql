-- When an author last edited a post or a message (null: never).
ALTER TABLE posts ADD COLUMN edited_at TIMESTAMP;
ALTER TABLE messages ADD COLUMN edited_at TIMESTAMP;

-- A conversation's latest activity (its newest message, or its start), so that a person's
-- conversations page by it.
ALTER TABLE conversations ADD COLUMN last_activity_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE conversations SET last_activity_at = COALESCE(
    (SELECT MAX(messages.created_at) FROM messages WHERE messages.conversation_id = conversations.id),
    created_at
);

-- Search keys fold case and accents ("premieres" finds "Premières"). The server computes them
-- in Rust and fills the rows left empty here before it serves.
ALTER TABLE users ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE peer_groups SET search_text = '';

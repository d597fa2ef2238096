-- A conversation reported to the moderators by one of its two people, optionally pointing at one
-- of the other person's messages. Moderators see that message and the reason, never who the two
-- people are nor what the conversation belongs to (a mentorship, a support request).
CREATE TABLE conversation_reports (
    id TEXT PRIMARY KEY NOT NULL,
    -- null once the conversation was purged or its message erased: the report itself stays
    conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
    message_id TEXT REFERENCES messages (id) ON DELETE SET NULL,
    reporter_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    category TEXT NOT NULL,
    -- AT_RISK reports come first in the moderators' queue
    priority INTEGER NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    resolution TEXT,
    -- whether the moderator who resolved it closed the conversation
    conversation_closed BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX conversation_reports_queue ON conversation_reports (status, priority, id);
-- One open report per person and conversation, however many requests arrive at once.
CREATE UNIQUE INDEX conversation_reports_open_once
    ON conversation_reports (conversation_id, reporter_id) WHERE status = 'OPEN';
CREATE INDEX conversation_reports_message_id ON conversation_reports (message_id);
CREATE INDEX conversation_reports_reporter_id ON conversation_reports (reporter_id);
CREATE INDEX conversation_reports_resolved_by ON conversation_reports (resolved_by);

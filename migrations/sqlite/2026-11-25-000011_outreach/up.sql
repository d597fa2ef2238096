-- A colleague's suggestion that a peer supporter reach out to someone. The asker is kept to
-- count their requests and is never shown unless they signed.
CREATE TABLE outreach_offers (
    id TEXT PRIMARY KEY NOT NULL,
    colleague_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    asker_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    signed BOOLEAN NOT NULL,
    note TEXT,
    -- PENDING, ACCEPTED, DECLINED; SILENT when it was answered as sent but not delivered (the
    -- colleague opted out, a block, or someone already asked this week)
    status TEXT NOT NULL,
    support_request_id TEXT REFERENCES support_requests (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    responded_at TIMESTAMP
);
CREATE INDEX outreach_offers_colleague ON outreach_offers (colleague_id, created_at);
CREATE INDEX outreach_offers_asker ON outreach_offers (asker_id, created_at);
CREATE INDEX outreach_offers_support_request_id ON outreach_offers (support_request_id);

-- Whether a person accepts outreach suggestions at all.
ALTER TABLE notification_preferences ADD COLUMN outreach BOOLEAN NOT NULL DEFAULT TRUE;

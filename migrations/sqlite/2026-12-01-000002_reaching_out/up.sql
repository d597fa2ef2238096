-- An outreach suggestion outlives its asker's erasure: the colleague keeps it, with no asker, so
-- `outreach_offers.asker_id` becomes nullable. SQLite changes a column's constraints only by
-- rebuilding the table; foreign keys stay off meanwhile so that dropping the old table cascades
-- to nothing.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE outreach_offers_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    colleague_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- null once the asker erased their account
    asker_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    signed BOOLEAN NOT NULL,
    note TEXT,
    status TEXT NOT NULL,
    support_request_id TEXT REFERENCES support_requests (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    responded_at TIMESTAMP
);
INSERT INTO outreach_offers_rebuilt
    SELECT id, colleague_id, asker_id, signed, note, status, support_request_id, created_at,
           responded_at
    FROM outreach_offers;
DROP TABLE outreach_offers;
ALTER TABLE outreach_offers_rebuilt RENAME TO outreach_offers;
CREATE INDEX outreach_offers_colleague ON outreach_offers (colleague_id, created_at);
CREATE INDEX outreach_offers_asker ON outreach_offers (asker_id, created_at);
CREATE INDEX outreach_offers_support_request_id ON outreach_offers (support_request_id);
-- the retention purge finds old suggestions without scanning
CREATE INDEX outreach_offers_created_at ON outreach_offers (created_at);

-- The person whose outreach suggestion opened a request: it is never shown, told or offered to
-- them, however long the suggestion itself is kept.
ALTER TABLE support_requests ADD COLUMN hidden_from_id TEXT REFERENCES users (id) ON DELETE SET NULL;
UPDATE support_requests SET hidden_from_id =
    (SELECT asker_id FROM outreach_offers WHERE outreach_offers.support_request_id = support_requests.id);
CREATE INDEX support_requests_hidden_from_id ON support_requests (hidden_from_id);

COMMIT;
PRAGMA foreign_keys = ON;

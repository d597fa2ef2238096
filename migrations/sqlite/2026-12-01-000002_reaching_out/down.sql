PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

DROP INDEX support_requests_hidden_from_id;
ALTER TABLE support_requests DROP COLUMN hidden_from_id;

CREATE TABLE outreach_offers_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    colleague_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    asker_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
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
    FROM outreach_offers WHERE asker_id IS NOT NULL;
DROP TABLE outreach_offers;
ALTER TABLE outreach_offers_rebuilt RENAME TO outreach_offers;
CREATE INDEX outreach_offers_colleague ON outreach_offers (colleague_id, created_at);
CREATE INDEX outreach_offers_asker ON outreach_offers (asker_id, created_at);
CREATE INDEX outreach_offers_support_request_id ON outreach_offers (support_request_id);

COMMIT;
PRAGMA foreign_keys = ON;

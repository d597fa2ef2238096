-- An outreach suggestion outlives its asker's erasure: the colleague keeps it, with no asker.
ALTER TABLE outreach_offers ALTER COLUMN asker_id DROP NOT NULL;
ALTER TABLE outreach_offers DROP CONSTRAINT outreach_offers_asker_id_fkey;
ALTER TABLE outreach_offers ADD CONSTRAINT outreach_offers_asker_id_fkey
    FOREIGN KEY (asker_id) REFERENCES users (id) ON DELETE SET NULL;
-- the retention purge finds old suggestions without scanning
CREATE INDEX outreach_offers_created_at ON outreach_offers (created_at);

-- The person whose outreach suggestion opened a request: it is never shown, told or offered to
-- them, however long the suggestion itself is kept.
ALTER TABLE support_requests ADD COLUMN hidden_from_id TEXT REFERENCES users (id) ON DELETE SET NULL;
UPDATE support_requests SET hidden_from_id =
    (SELECT asker_id FROM outreach_offers WHERE outreach_offers.support_request_id = support_requests.id);
CREATE INDEX support_requests_hidden_from_id ON support_requests (hidden_from_id);

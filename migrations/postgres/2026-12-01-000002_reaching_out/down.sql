DROP INDEX support_requests_hidden_from_id;
ALTER TABLE support_requests DROP COLUMN hidden_from_id;
DROP INDEX outreach_offers_created_at;
DELETE FROM outreach_offers WHERE asker_id IS NULL;
ALTER TABLE outreach_offers DROP CONSTRAINT outreach_offers_asker_id_fkey;
ALTER TABLE outreach_offers ADD CONSTRAINT outreach_offers_asker_id_fkey
    FOREIGN KEY (asker_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE outreach_offers ALTER COLUMN asker_id SET NOT NULL;

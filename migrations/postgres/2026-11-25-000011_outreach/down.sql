ALTER TABLE notification_preferences DROP COLUMN outreach;
DROP TABLE outreach_offers;

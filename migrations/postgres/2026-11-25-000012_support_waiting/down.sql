ALTER TABLE support_requests DROP COLUMN followed_up_at;

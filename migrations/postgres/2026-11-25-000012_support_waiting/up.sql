-- When a request left waiting was followed up (resources to the requester, supporters reminded):
-- once.
ALTER TABLE support_requests ADD COLUMN followed_up_at TIMESTAMP;

DROP TABLE calendar_feeds;
DROP TABLE workshop_ratings;
DROP TABLE workshop_registrations;
DROP TABLE workshops;

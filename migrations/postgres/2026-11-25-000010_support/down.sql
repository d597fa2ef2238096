DROP TABLE support_requests;
DROP TABLE supporter_availability;

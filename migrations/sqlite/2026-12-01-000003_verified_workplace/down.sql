ALTER TABLE users RENAME COLUMN verified_workplace TO workplace_key;

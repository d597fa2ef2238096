-- Failed password attempts per account and client address, in the database so that every
-- instance counts the same ones. `attempt_key` is HMAC(secret, account and address): no email,
-- user id or address is readable here. Counting restarts once an attempt comes more than the
-- lockout window after the previous one; rows idle that long are purged.
CREATE TABLE sign_in_attempts (
    attempt_key TEXT PRIMARY KEY NOT NULL,
    attempts INTEGER NOT NULL,
    last_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_attempts_last_at ON sign_in_attempts (last_at);

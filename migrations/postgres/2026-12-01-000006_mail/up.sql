-- Mails wait in an outbox written in the transaction that caused them, like pushes: sent after
-- commit by the dispatchers, retried with backoff, claimed for a lease so that one instance sends
-- each. A mail keeps what it is (`kind`, `params`: never a token, never health data) and is
-- rendered when sent, in its recipient's language. `to_address` is where it goes: the account's
-- address, or the new one an address change must confirm.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_address TEXT NOT NULL,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    not_before TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claim_expires_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, not_before);
CREATE INDEX mail_outbox_user_id ON mail_outbox (user_id);

-- One-time tokens sent by mail (address confirmation, password reset, address change). The
-- token itself is derived from the row's id under the instance secret when the mail is sent, so
-- the database holds only its hash.
CREATE TABLE email_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- the address an address change confirms
    new_email TEXT,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX email_tokens_user_id ON email_tokens (user_id, purpose);

-- When the person proved the address is theirs; accounts made before this change count as
-- verified (they were made under the old rules, and the demo seed's are).
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;
UPDATE users SET email_verified_at = created_at;

-- People sign in through OpenID Connect providers (Pro Santé Connect, a hospital's). An identity
-- is the provider's subject, linked to one account; an account has at most one per provider.
CREATE TABLE external_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at TIMESTAMP NOT NULL,
    last_sign_in_at TIMESTAMP,
    PRIMARY KEY (provider, subject),
    UNIQUE (user_id, provider)
);

-- A sign-in under way at a provider, found again by the digest of its `state` when the provider
-- sends the person back; used once, within minutes. `link_user_id`: the signed-in account the
-- identity is to be linked to, rather than signed in with.
CREATE TABLE sign_in_flows (
    state_hash TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    link_user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_flows_link_user_id ON sign_in_flows (link_user_id);

-- The one-time code the app exchanges for a session after a provider's sign-in (its digest).
CREATE TABLE external_sign_in_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX external_sign_in_codes_user_id ON external_sign_in_codes (user_id);

-- The provider that vouched for the person's profession, when one did: the profession is then
-- the provider's, updated at each sign-in.
ALTER TABLE users ADD COLUMN profession_verified_by TEXT;

-- Groups only people with a verified profession may join.
ALTER TABLE peer_groups ADD COLUMN verified_only BOOLEAN NOT NULL DEFAULT FALSE;

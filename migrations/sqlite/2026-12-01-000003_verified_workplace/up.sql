-- Matching keeps apart only people whose workplace is verified in the same way (an identity
-- provider that vouches for it): a key derived from the free-text workplace let anyone test a
-- guessed workplace by typing it and watching who left their suggestions. Keys made from that
-- text are dropped.
ALTER TABLE users RENAME COLUMN workplace_key TO verified_workplace;
UPDATE users SET verified_workplace = NULL;

-- Groups a person muted: their activity still reaches the inbox, but no push, until `until`
-- (none: until unmuted).
CREATE TABLE group_mutes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    until TIMESTAMP,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX group_mutes_group_id ON group_mutes (group_id);

CREATE TABLE peer_groups (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- lower-cased name: unique, so names are unique case-insensitively
    name_normalized TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    topic TEXT NOT NULL,
    -- lower-cased name, description and topic: word search behaves alike on both databases
    search_text TEXT NOT NULL,
    visibility TEXT NOT NULL,
    language TEXT NOT NULL,
    region TEXT,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX peer_groups_language ON peer_groups (language, id);
CREATE INDEX peer_groups_region ON peer_groups (region, id);

CREATE TABLE group_professions (
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    profession TEXT NOT NULL,
    PRIMARY KEY (group_id, profession)
);
CREATE INDEX group_professions_profession ON group_professions (profession, group_id);

CREATE TABLE memberships (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (group_id, user_id)
);
CREATE INDEX memberships_user_id ON memberships (user_id, status);
CREATE INDEX memberships_group_status ON memberships (group_id, status, id);

-- people a facilitator removed: joining again needs approval, whatever the visibility
CREATE TABLE group_removals (
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    removed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE posts (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    -- kept for anonymous posts too (moderation), never shown for them
    author_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- deleting a post deletes its replies
    parent_id TEXT REFERENCES posts (id) ON DELETE CASCADE,
    anonymous BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX posts_group_parent ON posts (group_id, parent_id, id);
CREATE INDEX posts_parent ON posts (parent_id, id);
CREATE INDEX posts_author ON posts (author_id);

CREATE TABLE post_reports (
    id TEXT PRIMARY KEY NOT NULL,
    post_id TEXT REFERENCES posts (id) ON DELETE SET NULL,
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    reporter_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    category TEXT NOT NULL,
    -- AT_RISK reports come first in the moderators' queue
    priority INTEGER NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    resolution TEXT
);
CREATE INDEX post_reports_queue ON post_reports (status, priority, id);

CREATE TABLE moderation_actions (
    id TEXT PRIMARY KEY NOT NULL,
    actor_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    group_id TEXT REFERENCES peer_groups (id) ON DELETE SET NULL,
    post_id TEXT,
    report_id TEXT,
    -- the member acted on; null when acting on an anonymous post's author, whom nobody is shown
    target_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX moderation_actions_group ON moderation_actions (group_id, id);

CREATE TABLE user_blocks (
    blocker_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);

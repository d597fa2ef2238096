-- The instance secret no longer lives in the database it pseudonymises (RELAIS_SECRET or a file).
DROP TABLE instance_settings;

-- The author of an anonymous post a moderator removed: still a member, no longer allowed to post
-- in that group, so that nothing anyone else can see changes.
CREATE TABLE posting_suspensions (
    group_id TEXT NOT NULL REFERENCES peer_groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    suspended_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX posting_suspensions_user_id ON posting_suspensions (user_id);

-- One report per member and post.
DELETE FROM post_reports
WHERE post_id IS NOT NULL AND reporter_id IS NOT NULL
  AND id NOT IN (SELECT MIN(id) FROM post_reports GROUP BY post_id, reporter_id);
CREATE UNIQUE INDEX post_reports_post_reporter ON post_reports (post_id, reporter_id);

-- Every foreign key is indexed, so that erasing a person or deleting a post never scans a table.
CREATE INDEX post_reports_group_id ON post_reports (group_id);
CREATE INDEX post_reports_reporter_id ON post_reports (reporter_id);
CREATE INDEX post_reports_resolved_by ON post_reports (resolved_by);
CREATE INDEX moderation_actions_actor_id ON moderation_actions (actor_id);
CREATE INDEX moderation_actions_target_user_id ON moderation_actions (target_user_id);
CREATE INDEX user_blocks_blocked_id ON user_blocks (blocked_id);
CREATE INDEX group_removals_user_id ON group_removals (user_id);
CREATE INDEX peer_groups_created_by ON peer_groups (created_by);

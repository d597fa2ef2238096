DROP INDEX peer_groups_created_by;
DROP INDEX group_removals_user_id;
DROP INDEX user_blocks_blocked_id;
DROP INDEX moderation_actions_target_user_id;
DROP INDEX moderation_actions_actor_id;
DROP INDEX post_reports_resolved_by;
DROP INDEX post_reports_reporter_id;
DROP INDEX post_reports_group_id;
DROP INDEX post_reports_post_reporter;
DROP TABLE posting_suspensions;
CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

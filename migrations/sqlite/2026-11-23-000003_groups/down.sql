DROP TABLE user_blocks;
DROP TABLE moderation_actions;
DROP TABLE post_reports;
DROP TABLE posts;
DROP TABLE group_removals;
DROP TABLE memberships;
DROP TABLE group_professions;
DROP TABLE peer_groups;

DROP TABLE group_mutes;

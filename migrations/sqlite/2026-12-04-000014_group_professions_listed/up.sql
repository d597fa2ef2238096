-- The professions each group is meant for, listed on the group's row (names in order, joined by
-- commas; empty: open to all) by triggers on group_professions, so that every read of a group
-- has them without a second statement. group_professions stays the source the search filters on.
ALTER TABLE peer_groups ADD COLUMN professions TEXT NOT NULL DEFAULT '';
UPDATE peer_groups SET professions = coalesce((
    SELECT group_concat(profession, ',' ORDER BY profession) FROM group_professions
    WHERE group_professions.group_id = peer_groups.id
), '');

CREATE TRIGGER group_professions_listed_on_insert AFTER INSERT ON group_professions
BEGIN
    UPDATE peer_groups SET professions = coalesce((
        SELECT group_concat(profession, ',' ORDER BY profession) FROM group_professions
        WHERE group_id = NEW.group_id
    ), '') WHERE id = NEW.group_id;
END;

CREATE TRIGGER group_professions_listed_on_delete AFTER DELETE ON group_professions
BEGIN
    UPDATE peer_groups SET professions = coalesce((
        SELECT group_concat(profession, ',' ORDER BY profession) FROM group_professions
        WHERE group_id = OLD.group_id
    ), '') WHERE id = OLD.group_id;
END;

CREATE TRIGGER group_professions_listed_on_update AFTER UPDATE ON group_professions
BEGIN
    UPDATE peer_groups SET professions = coalesce((
        SELECT group_concat(profession, ',' ORDER BY profession) FROM group_professions
        WHERE group_id = peer_groups.id
    ), '') WHERE id IN (OLD.group_id, NEW.group_id);
END;

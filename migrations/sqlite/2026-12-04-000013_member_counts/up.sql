-- Each group's number of active members, kept by triggers on memberships so that every path that
-- changes one (joining, approval, leaving, removal, an erased account's cascade) keeps it, in the
-- same transaction. A page of groups reads it instead of counting every member of every group.
ALTER TABLE peer_groups ADD COLUMN active_members INTEGER NOT NULL DEFAULT 0;
UPDATE peer_groups SET active_members = (
    SELECT count(*) FROM memberships
    WHERE memberships.group_id = peer_groups.id AND memberships.status = 'ACTIVE'
);

CREATE TRIGGER memberships_counted_on_insert AFTER INSERT ON memberships
WHEN NEW.status = 'ACTIVE'
BEGIN
    UPDATE peer_groups SET active_members = active_members + 1 WHERE id = NEW.group_id;
END;

CREATE TRIGGER memberships_counted_on_delete AFTER DELETE ON memberships
WHEN OLD.status = 'ACTIVE'
BEGIN
    UPDATE peer_groups SET active_members = active_members - 1 WHERE id = OLD.group_id;
END;

CREATE TRIGGER memberships_counted_on_update AFTER UPDATE OF status, group_id ON memberships
WHEN OLD.status = 'ACTIVE' OR NEW.status = 'ACTIVE'
BEGIN
    UPDATE peer_groups SET active_members = active_members - 1
    WHERE id = OLD.group_id AND OLD.status = 'ACTIVE';
    UPDATE peer_groups SET active_members = active_members + 1
    WHERE id = NEW.group_id AND NEW.status = 'ACTIVE';
END;

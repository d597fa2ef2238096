-- Each group's number of active members, kept by a trigger on memberships so that every path that
-- changes one (joining, approval, leaving, removal, an erased account's cascade) keeps it, in the
-- same transaction; concurrent changes to one group queue on its row. A page of groups reads it
-- instead of counting every member of every group.
ALTER TABLE peer_groups ADD COLUMN active_members BIGINT NOT NULL DEFAULT 0;
UPDATE peer_groups SET active_members = (
    SELECT count(*) FROM memberships
    WHERE memberships.group_id = peer_groups.id AND memberships.status = 'ACTIVE'
);

CREATE FUNCTION memberships_counted() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.status = 'ACTIVE' THEN
            UPDATE peer_groups SET active_members = active_members - 1 WHERE id = OLD.group_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.status = 'ACTIVE' THEN
            UPDATE peer_groups SET active_members = active_members + 1 WHERE id = NEW.group_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER memberships_counted
AFTER INSERT OR DELETE OR UPDATE OF status, group_id ON memberships
FOR EACH ROW EXECUTE FUNCTION memberships_counted();

-- The professions each group is meant for, listed on the group's row (names in byte order, joined
-- by commas; empty: open to all) by a trigger on group_professions, so that every read of a group
-- has them without a second statement. group_professions stays the source the search filters on.
ALTER TABLE peer_groups ADD COLUMN professions TEXT NOT NULL DEFAULT '';

CREATE FUNCTION group_professions_listing(listed_group TEXT) RETURNS TEXT AS $$
    SELECT coalesce(string_agg(profession, ',' ORDER BY profession COLLATE "C"), '')
    FROM group_professions WHERE group_id = listed_group
$$ LANGUAGE sql STABLE;

UPDATE peer_groups SET professions = group_professions_listing(id);

CREATE FUNCTION group_professions_listed() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE peer_groups SET professions = group_professions_listing(OLD.group_id)
        WHERE id = OLD.group_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE peer_groups SET professions = group_professions_listing(NEW.group_id)
        WHERE id = NEW.group_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER group_professions_listed
AFTER INSERT OR DELETE OR UPDATE ON group_professions
FOR EACH ROW EXECUTE FUNCTION group_professions_listed();

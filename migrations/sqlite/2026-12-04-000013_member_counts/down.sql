DROP TRIGGER memberships_counted_on_update;
DROP TRIGGER memberships_counted_on_delete;
DROP TRIGGER memberships_counted_on_insert;
ALTER TABLE peer_groups DROP COLUMN active_members;

DROP TRIGGER memberships_counted ON memberships;
DROP FUNCTION memberships_counted();
ALTER TABLE peer_groups DROP COLUMN active_members;

DROP TRIGGER group_professions_listed ON group_professions;
DROP FUNCTION group_professions_listed();
DROP FUNCTION group_professions_listing(TEXT);
ALTER TABLE peer_groups DROP COLUMN professions;

-- A near-me search reads the ids and coordinates of the scheduled workshops inside a box from
-- this index alone: status, then the latitude range, then the rest of each entry. Status comes
-- first so that SQLite, which has no statistics, prefers it to (status, starts_at), which would
-- read every scheduled workshop's row.
DROP INDEX workshops_latitude;
CREATE INDEX workshops_near ON workshops (status, latitude, longitude, starts_at, group_id, id);

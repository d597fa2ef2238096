-- A near-me search reads the ids and coordinates of the scheduled workshops inside a box from
-- this index alone (latitude range first, then the rest of each entry), before it loads a page.
DROP INDEX workshops_latitude;
CREATE INDEX workshops_near ON workshops (latitude, longitude, status, starts_at, group_id, id);

DROP INDEX workshops_near;
CREATE INDEX workshops_latitude ON workshops (latitude);

ALTER TABLE peer_groups DROP COLUMN verified_only;
ALTER TABLE users DROP COLUMN profession_verified_by;
DROP TABLE external_sign_in_codes;
DROP TABLE sign_in_flows;
DROP TABLE external_identities;

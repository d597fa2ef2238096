DROP TABLE session_tokens;
DROP TABLE sessions;
DROP TABLE user_roles;
DROP TABLE user_languages;
DROP TABLE users;
DROP TABLE instance_settings;

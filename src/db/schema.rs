//! The tables, one description for both backends (types both share).

diesel::table! {
    instance_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        email_normalized -> Text,
        password_hash -> Text,
        display_name -> Text,
        profession -> Text,
        region -> Nullable<Text>,
        bio -> Nullable<Text>,
        locale -> Text,
        timezone -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_languages (user_id, language) {
        user_id -> Text,
        position -> Integer,
        language -> Text,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> Text,
        role -> Text,
        granted_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    session_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        kind -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(user_languages -> users (user_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(session_tokens -> sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(
    instance_settings,
    users,
    user_languages,
    user_roles,
    sessions,
    session_tokens,
);

//! The tables, one description for both backends (types both share).

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
        workplace -> Nullable<Text>,
        verified_workplace -> Nullable<Text>,
        email_verified_at -> Nullable<Timestamp>,
        profession_verified_by -> Nullable<Text>,
        name_key -> Text,
    }
}

diesel::table! {
    external_identities (provider, subject) {
        provider -> Text,
        subject -> Text,
        user_id -> Text,
        linked_at -> Timestamp,
        last_sign_in_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_flows (state_hash) {
        state_hash -> Text,
        provider -> Text,
        redirect_uri -> Text,
        pkce_verifier -> Text,
        nonce -> Text,
        link_user_id -> Nullable<Text>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    external_sign_in_codes (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Text,
        user_id -> Text,
        to_address -> Text,
        kind -> Text,
        params -> Text,
        status -> Text,
        attempts -> Integer,
        not_before -> Timestamp,
        claimed_by -> Nullable<Text>,
        claim_expires_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> Text,
        user_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        new_email -> Nullable<Text>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    consents (user_id, purpose) {
        user_id -> Text,
        purpose -> Text,
        version -> Text,
        given_at -> Timestamp,
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
        expires_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        device -> Nullable<Text>,
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

diesel::table! {
    sign_in_attempts (attempt_key) {
        attempt_key -> Text,
        attempts -> Integer,
        last_at -> Timestamp,
    }
}

diesel::joinable!(user_languages -> users (user_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(session_tokens -> sessions (session_id));

diesel::joinable!(mail_outbox -> users (user_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(consents -> users (user_id));
diesel::joinable!(external_identities -> users (user_id));
diesel::joinable!(external_sign_in_codes -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    mail_outbox,
    email_tokens,
    consents,
    external_identities,
    sign_in_flows,
    external_sign_in_codes,
    user_languages,
    user_roles,
    sessions,
    session_tokens,
);

diesel::table! {
    group_mutes (user_id, group_id) {
        user_id -> Text,
        group_id -> Text,
        until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    devices (id) {
        id -> Text,
        user_id -> Text,
        token -> Text,
        platform -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    notification_preferences (user_id) {
        user_id -> Text,
        group_activity -> Bool,
        mentorship -> Bool,
        workshop -> Bool,
        checkin_reminder -> Bool,
        quiet_hours_start -> Nullable<Text>,
        quiet_hours_end -> Nullable<Text>,
        updated_at -> Timestamp,
        checkin_reminder_weekday -> Integer,
        checkin_reminder_time -> Text,
        outreach -> Bool,
        group_workshop_titles -> Bool,
    }
}

diesel::table! {
    checkin_reminders (user_id) {
        user_id -> Text,
        due_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        category -> Text,
        kind -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        schedule_key -> Nullable<Text>,
        about_id -> Nullable<Text>,
        params -> Text,
    }
}

diesel::table! {
    notification_data (notification_id, name) {
        notification_id -> Text,
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    push_outbox (id) {
        id -> Text,
        notification_id -> Text,
        user_id -> Text,
        device_id -> Nullable<Text>,
        status -> Text,
        schedule_key -> Nullable<Text>,
        attempts -> Integer,
        not_before -> Timestamp,
        claimed_by -> Nullable<Text>,
        claim_expires_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        fcm_message_name -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(devices -> users (user_id));
diesel::joinable!(checkin_reminders -> users (user_id));
diesel::joinable!(notification_preferences -> users (user_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(notification_data -> notifications (notification_id));
diesel::joinable!(push_outbox -> notifications (notification_id));
diesel::joinable!(push_outbox -> devices (device_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    checkin_reminders,
    devices,
    group_mutes,
    notification_preferences,
    notifications,
    notification_data,
    push_outbox,
);

diesel::table! {
    peer_groups (id) {
        id -> Text,
        name -> Text,
        name_normalized -> Text,
        description -> Text,
        topic -> Text,
        search_text -> Text,
        visibility -> Text,
        language -> Text,
        region -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        verified_only -> Bool,
        active_members -> BigInt,
        professions -> Text,
    }
}

diesel::table! {
    group_professions (group_id, profession) {
        group_id -> Text,
        profession -> Text,
    }
}

diesel::table! {
    memberships (id) {
        id -> Text,
        group_id -> Text,
        user_id -> Text,
        role -> Text,
        status -> Text,
        created_at -> Timestamp,
        active_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    group_removals (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        removed_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> Text,
        group_id -> Text,
        author_id -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        anonymous -> Bool,
        body -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    post_reports (id) {
        id -> Text,
        post_id -> Nullable<Text>,
        group_id -> Text,
        reporter_id -> Nullable<Text>,
        category -> Text,
        priority -> Integer,
        reason -> Text,
        status -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    moderation_actions (id) {
        id -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        group_id -> Nullable<Text>,
        post_id -> Nullable<Text>,
        report_id -> Nullable<Text>,
        target_user_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_blocks (blocker_id, blocked_id) {
        blocker_id -> Text,
        blocked_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    posting_suspensions (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        suspended_at -> Timestamp,
    }
}

diesel::joinable!(group_professions -> peer_groups (group_id));
diesel::joinable!(memberships -> peer_groups (group_id));
diesel::joinable!(posts -> peer_groups (group_id));
diesel::joinable!(group_removals -> peer_groups (group_id));
diesel::joinable!(posting_suspensions -> peer_groups (group_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    peer_groups,
    group_professions,
    memberships,
    group_removals,
    posting_suspensions,
    posts,
    post_reports,
    moderation_actions,
    user_blocks,
);

diesel::table! {
    scheduled_runs (name) {
        name -> Text,
        last_run_at -> Timestamp,
    }
}

diesel::table! {
    workshops (id) {
        id -> Text,
        organiser_id -> Nullable<Text>,
        group_id -> Nullable<Text>,
        title -> Text,
        description -> Text,
        technique -> Text,
        format -> Text,
        language -> Text,
        region -> Nullable<Text>,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        timezone -> Text,
        location -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        online_url -> Nullable<Text>,
        materials -> Nullable<Text>,
        capacity -> Integer,
        status -> Text,
        cancel_reason -> Nullable<Text>,
        next_queue_number -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        released_rating_average -> Nullable<Double>,
        released_rating_count -> Integer,
    }
}

diesel::table! {
    workshop_registrations (id) {
        id -> Text,
        workshop_id -> Text,
        user_id -> Text,
        status -> Text,
        queue_number -> BigInt,
        attended -> Nullable<Bool>,
        certificate_code -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    workshop_ratings (workshop_id, user_id) {
        workshop_id -> Text,
        user_id -> Text,
        rating -> Integer,
        comment -> Nullable<Text>,
        rated_at -> Timestamp,
        released -> Bool,
    }
}

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> Text,
        generation -> Integer,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(workshop_registrations -> workshops (workshop_id));
diesel::joinable!(workshop_ratings -> workshops (workshop_id));

diesel::allow_tables_to_appear_in_same_query!(
    workshops,
    workshop_registrations,
    workshop_ratings,
    calendar_feeds,
);

diesel::table! {
    conversations (id) {
        id -> Text,
        open -> Bool,
        category -> Text,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        last_activity_at -> Timestamp,
    }
}

diesel::table! {
    conversation_members (conversation_id, user_id) {
        conversation_id -> Text,
        user_id -> Text,
        last_read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        conversation_id -> Text,
        author_id -> Text,
        body -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(conversation_members -> conversations (conversation_id));
diesel::joinable!(messages -> conversations (conversation_id));

diesel::table! {
    conversation_reports (id) {
        id -> Text,
        conversation_id -> Nullable<Text>,
        message_id -> Nullable<Text>,
        reporter_id -> Nullable<Text>,
        category -> Text,
        priority -> Integer,
        reason -> Text,
        status -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        resolution -> Nullable<Text>,
        conversation_closed -> Bool,
    }
}

diesel::joinable!(conversation_reports -> messages (message_id));

diesel::allow_tables_to_appear_in_same_query!(
    conversations,
    conversation_members,
    messages,
    conversation_reports
);

diesel::table! {
    mentor_profiles (user_id) {
        user_id -> Text,
        headline -> Text,
        years_of_experience -> Integer,
        capacity -> Integer,
        accepting_mentees -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        released_rating_average -> Nullable<Double>,
        released_rating_count -> Integer,
    }
}

diesel::table! {
    mentor_areas (user_id, area) {
        user_id -> Text,
        area -> Text,
    }
}

diesel::table! {
    mentee_seeking (user_id, area) {
        user_id -> Text,
        area -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mentorships (id) {
        id -> Text,
        mentor_id -> Text,
        mentee_id -> Text,
        status -> Text,
        message -> Text,
        decline_reason -> Nullable<Text>,
        round_id -> Nullable<Text>,
        conversation_id -> Nullable<Text>,
        created_at -> Timestamp,
        responded_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mentorship_areas (mentorship_id, area) {
        mentorship_id -> Text,
        area -> Text,
    }
}

diesel::table! {
    mentorship_goals (id) {
        id -> Text,
        mentorship_id -> Text,
        title -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mentorship_feedback (mentorship_id, author_id) {
        mentorship_id -> Text,
        author_id -> Text,
        subject_id -> Text,
        rating -> Integer,
        note -> Nullable<Text>,
        created_at -> Timestamp,
        released -> Bool,
    }
}

diesel::joinable!(mentor_areas -> mentor_profiles (user_id));
diesel::joinable!(mentorship_areas -> mentorships (mentorship_id));
diesel::joinable!(mentorship_goals -> mentorships (mentorship_id));
diesel::joinable!(mentorship_feedback -> mentorships (mentorship_id));

diesel::allow_tables_to_appear_in_same_query!(
    mentor_profiles,
    mentor_areas,
    mentee_seeking,
    mentorships,
    mentorship_areas,
    mentorship_goals,
    mentorship_feedback,
);

diesel::table! {
    checkins (id) {
        id -> Text,
        pseudonym -> Text,
        instrument -> Text,
        score -> Integer,
        recorded_on -> Date,
    }
}

diesel::table! {
    checkin_shares (checkin_id, group_id) {
        checkin_id -> Text,
        group_id -> Text,
    }
}

diesel::table! {
    wellbeing_releases (group_id, instrument, period_weeks, period_start) {
        group_id -> Text,
        instrument -> Text,
        period_weeks -> Integer,
        period_start -> Date,
        suppression -> Nullable<Text>,
        respondents -> Nullable<Integer>,
        average_score -> Nullable<Double>,
        margin -> Nullable<Double>,
    }
}

diesel::table! {
    wellbeing_periods (period_weeks, period_start) {
        period_weeks -> Integer,
        period_start -> Date,
        released_at -> Timestamp,
    }
}

diesel::joinable!(checkin_shares -> checkins (checkin_id));

diesel::allow_tables_to_appear_in_same_query!(checkins, checkin_shares);

diesel::table! {
    supporter_availability (user_id) {
        user_id -> Text,
        available -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    support_requests (id) {
        id -> Text,
        requester_id -> Text,
        supporter_id -> Nullable<Text>,
        status -> Text,
        note -> Nullable<Text>,
        language -> Text,
        conversation_id -> Nullable<Text>,
        created_at -> Timestamp,
        taken_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        followed_up_at -> Nullable<Timestamp>,
        hidden_from_id -> Nullable<Text>,
    }
}

diesel::table! {
    outreach_offers (id) {
        id -> Text,
        colleague_id -> Text,
        asker_id -> Nullable<Text>,
        signed -> Bool,
        note -> Nullable<Text>,
        status -> Text,
        support_request_id -> Nullable<Text>,
        created_at -> Timestamp,
        responded_at -> Nullable<Timestamp>,
    }
}

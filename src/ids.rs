//! Typed identifiers: UUID v7 strings made in Rust (time-ordered, so indexes stay compact),
//! wrapped so that a group id cannot be passed where a user id is expected.

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            diesel::AsExpression, diesel::FromSqlRow,
            serde::Serialize, serde::Deserialize,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh identifier.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// An identifier received from a client; unknown ones simply match nothing.
            pub fn from_client(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl $crate::pagination::CursorKey for $name {
            /// Cursors of id-ordered lists carry the id: a UUID in its canonical form.
            fn from_cursor(key: &str) -> Option<Self> {
                let uuid = uuid::Uuid::parse_str(key).ok()?;
                (uuid.hyphenated().to_string() == key).then(|| Self(key.to_owned()))
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<async_graphql::ID> for $name {
            fn from(id: async_graphql::ID) -> Self {
                Self(id.0)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.0.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                String::from_sql(bytes).map(Self)
            }
        }
    )+};
}

id_type! {
    /// A person's account.
    UserId;
    /// A signed-in session (one device's sign-in, renewed by refresh tokens).
    SessionId;
    /// A phone or browser registered for push.
    DeviceId;
    /// An in-app notification.
    NotificationId;
    /// One push to one device, waiting in the outbox or done.
    PushId;
    /// A peer group.
    GroupId;
    /// One person's membership of one group.
    MembershipId;
    /// A post or reply in a group.
    PostId;
    /// A report of a post to the moderators.
    ReportId;
    /// One entry of the moderation log.
    ModerationActionId;
    /// A workshop or meetup.
    WorkshopId;
    /// One person's registration to one workshop.
    RegistrationId;
    /// A private 1:1 thread.
    ConversationId;
    /// One message of a conversation.
    MessageId;
    /// A report of a conversation to the moderators.
    ConversationReportId;
    /// A mentorship, from the request on.
    MentorshipId;
    /// A shared goal of a mentorship.
    GoalId;
    /// One run of the matching of opted-in mentees to mentors.
    RoundId;
    /// An anonymous check-in: made with [`CheckinId::random`], never time-ordered.
    CheckinId;
    /// A request for a peer supporter.
    SupportRequestId;
    /// A colleague's suggestion that a peer reach out to someone.
    OutreachId;
    /// One mail, waiting in the outbox or done.
    MailId;
    /// A one-time token sent by mail.
    EmailTokenId;
}

impl CheckinId {
    /// A random identifier: a time-ordered one would carry the time of day of a check-in.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }
}

//! The typed texts: each value names its Fluent id (its variant, in kebab-case) and gives the
//! arguments the text reads. The files under `locales/` hold the words.

use std::collections::BTreeMap;

use fluent_bundle::FluentArgs;

use super::{Locale, Localized, bundles};

/// A message for a person, rendered in their locale.
#[derive(Debug, Clone, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum Message {
    SignInRequired,
    SessionInvalid,
    /// The `Authorization` header is not `Bearer <token>`.
    AuthorizationMalformed,
    WrongCredentials,
    Forbidden,
    NotFound,
    RateLimited,
    Internal,
    MalformedRequest,
    LengthBetween {
        min: usize,
        max: usize,
    },
    TooLong {
        max: usize,
    },
    TooMany {
        max: usize,
    },
    InvalidEmail,
    EmailTaken,
    InvalidLanguage {
        value: String,
    },
    InvalidTimezone {
        value: String,
    },
    InvalidLocale {
        value: String,
    },
    InvalidTimeOfDay {
        value: String,
    },
    QuietHoursNeedBoth,
    QuietHoursEmpty,
    InvalidCursor,
    NumberBetween {
        min: i64,
        max: i64,
    },
    GroupNameTaken,
    AlreadyMember,
    LastFacilitator,
    NotAMember,
    InvalidParentPost,
    CannotTargetSelf,
    ReportAlreadyResolved,
    WrongPassword,
    PostingSuspended,
    AlreadyReported,
    NoSuccessor,
    ControlCharacters,
    InvisibleCharacters,
    TooManyAliases {
        count: usize,
        max: usize,
    },
    TooDeep {
        depth: usize,
        max: usize,
    },
    TooManySelections {
        count: usize,
        max: usize,
    },
    TooComplex {
        cost: usize,
        max: usize,
    },
    QueriesOnlyOverGet,
    /// A statement ran past the configured bound.
    TooSlow {
        max_ms: u64,
    },
    ErrorsOmitted {
        count: usize,
    },
    EventsMissed,
    TooManySubscriptions {
        max: usize,
    },
    DeviceRaced,
    ErasedPost,
    ErasedAccount,
    /// Another person, where a text must not name them (a person's export).
    Someone,
    MustBeInFuture,
    EndBeforeStart,
    LongerThanHours {
        hours: i64,
    },
    RequiredForFormat,
    HttpsUrl,
    CoordinatesInPerson,
    BothOrNeither,
    WorkshopClosed,
    CannotChange,
    BelowConfirmed {
        confirmed: i64,
    },
    AlreadyRegistered,
    NotRegistered,
    AttendanceWindow {
        days: i64,
    },
    NotConfirmed,
    NotEndedYet,
    OnlyAttendeesRate,
    ChooseBetween {
        min: usize,
        max: usize,
    },
    TransitionNotAllowed {
        from: &'static str,
        to: &'static str,
    },
    MentorUnavailable,
    AlreadyRequested,
    TooManyOpenRequests {
        max: i64,
    },
    TooManyGroups {
        max: i64,
    },
    EditWindowPassed {
        minutes: i64,
    },
    NoFreeSlot,
    MentorshipNotActive,
    OnlyAfterCompletion,
    ConversationClosed,
    ConversationAlreadyReported,
    NotTheOtherPersonsMessage,
    RoundProposal,
    InstrumentAnswers {
        items: usize,
        min: i32,
        max: i32,
    },
    RequestTaken,
    TooManyOutreach {
        max: i64,
    },
    /// A token from a mail that is unknown, used, expired or someone else's.
    InvalidToken,
    /// A feature needs a consent the person has not given (or gave to an older text).
    ConsentRequired,
    /// A feature needs the person's address confirmed first.
    EmailNotVerified,
    /// A feature needs a profession verified by an identity provider.
    VerifiedProfessionRequired,
    /// A provider sent someone back for a sign-in that is unknown, used or expired.
    SignInUnknown {
        code: &'static str,
    },
    /// A redirect URI that is not one of `RELAIS_APP_REDIRECT_URIS`.
    RedirectNotAllowed,
    /// The profession was verified by an identity provider, which alone changes it.
    ProfessionVerified,
    /// Unlinking the provider would leave the account with no way to sign in.
    LastWayIn,
    /// `giveConsent` names a version that is not the current text's.
    NotCurrentVersion {
        current: String,
    },
    /// The person already has an open support request.
    SupportRequestOpen,
    TooManySupportRequests {
        max: i64,
    },
    /// A check-in would take the person's shares in this period past the limit.
    SharesPerPeriod {
        max: usize,
        weeks: i32,
    },
    /// Who counts in a group's wellbeing figure.
    WellbeingTenure,
    /// How group wellbeing figures are protected, in plain words.
    WellbeingPrivacy {
        min_respondents: usize,
        weeks: i32,
    },
}

impl Localized for Message {
    fn fluent_id(&self) -> String {
        <&'static str>::from(self).to_owned()
    }

    fn fluent_args(&self, _: Locale) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        match self {
            Self::LengthBetween { min, max } | Self::ChooseBetween { min, max } => {
                args.set("min", *min);
                args.set("max", *max);
            }
            Self::TooLong { max } | Self::TooMany { max } | Self::TooManySubscriptions { max } => {
                args.set("max", *max)
            }
            Self::TooManyAliases { count: cost, max }
            | Self::TooDeep { depth: cost, max }
            | Self::TooManySelections { count: cost, max }
            | Self::TooComplex { cost, max } => {
                args.set("cost", *cost);
                args.set("max", *max);
            }
            Self::TooManyOpenRequests { max }
            | Self::TooManyGroups { max }
            | Self::TooManyOutreach { max }
            | Self::TooManySupportRequests { max } => args.set("max", *max),
            Self::NumberBetween { min, max } => {
                args.set("min", *min);
                args.set("max", *max);
            }
            Self::InvalidLanguage { value }
            | Self::InvalidTimezone { value }
            | Self::InvalidTimeOfDay { value } => args.set("value", value.as_str()),
            Self::NotCurrentVersion { current } => args.set("current", current.as_str()),
            Self::SignInUnknown { code } => args.set("code", *code),
            Self::InvalidLocale { value } => {
                args.set("value", value.as_str());
                args.set("languages", Locale::listed());
            }
            Self::ErrorsOmitted { count } => args.set("count", *count),
            Self::TooSlow { max_ms } => args.set("max", *max_ms),
            Self::LongerThanHours { hours } => args.set("hours", *hours),
            Self::EditWindowPassed { minutes } => args.set("minutes", *minutes),
            Self::BelowConfirmed { confirmed } => args.set("confirmed", *confirmed),
            Self::AttendanceWindow { days } => args.set("days", *days),
            Self::TransitionNotAllowed { from, to } => {
                args.set("from", *from);
                args.set("to", *to);
            }
            Self::InstrumentAnswers { items, min, max } => {
                args.set("items", *items);
                args.set("min", *min);
                args.set("max", *max);
            }
            Self::SharesPerPeriod { max, weeks } => {
                args.set("max", *max);
                args.set("weeks", *weeks);
            }
            Self::WellbeingPrivacy {
                min_respondents,
                weeks,
            } => {
                args.set("min_respondents", *min_respondents);
                args.set("weeks", *weeks);
            }
            _ => {}
        }
        args
    }
}

/// The texts of a notification: one variant per kind, with what the text mentions besides the
/// person it is about (stored apart, by id, and named when read).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum NotificationText {
    Welcome,
    TestPush,
    GroupJoinRequest {
        group: String,
    },
    GroupJoinApproved {
        group: String,
    },
    PostReply {
        group: String,
    },
    PostRemovedPostingSuspended {
        group: String,
    },
    WorkshopReminder {
        title: String,
        hours: i64,
    },
    WorkshopSeat {
        title: String,
    },
    WorkshopChanged {
        title: String,
    },
    WorkshopCancelled {
        title: String,
    },
    /// The person's registration ended with their membership of the workshop's group.
    WorkshopRegistrationEnded {
        title: String,
    },
    NewMessage,
    MentorshipRequested,
    MentorshipWaiting,
    MentorshipAccepted,
    MentorshipDeclined,
    MentorshipWithdrawn,
    /// How many other mentors are free for the mentee now (named in the app, not here).
    MentorshipExpired {
        suggested: usize,
    },
    MentorshipEnded,
    MentorshipCompleted,
    MentorPaused,
    RoundMentorFound,
    RoundMenteeFound,
    CheckinReminder,
    SupportRequested,
    SupportTaken,
    SupportClosed,
    /// A moderator closed a conversation after a report (which, and by whom, is not said).
    ConversationClosedByModeration,
    OutreachOffered,
    /// Nobody took the request yet: where else to turn, in each language (a list per locale,
    /// since the text is rendered in the requester's).
    SupportStillWaiting(BTreeMap<String, Vec<String>>),
}

impl NotificationText {
    /// The stable name stored with the notification.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Welcome => "WELCOME",
            Self::TestPush => "TEST_PUSH",
            Self::GroupJoinRequest { .. } => "GROUP_JOIN_REQUEST",
            Self::GroupJoinApproved { .. } => "GROUP_JOIN_APPROVED",
            Self::PostReply { .. } => "POST_REPLY",
            Self::PostRemovedPostingSuspended { .. } => "POST_REMOVED_POSTING_SUSPENDED",
            Self::WorkshopReminder { .. } => "WORKSHOP_REMINDER",
            Self::WorkshopSeat { .. } => "WORKSHOP_SEAT",
            Self::WorkshopChanged { .. } => "WORKSHOP_CHANGED",
            Self::WorkshopCancelled { .. } => "WORKSHOP_CANCELLED",
            Self::WorkshopRegistrationEnded { .. } => "WORKSHOP_REGISTRATION_ENDED",
            Self::NewMessage => "NEW_MESSAGE",
            Self::MentorshipRequested => "MENTORSHIP_REQUESTED",
            Self::MentorshipWaiting => "MENTORSHIP_WAITING",
            Self::MentorshipAccepted => "MENTORSHIP_ACCEPTED",
            Self::MentorshipDeclined => "MENTORSHIP_DECLINED",
            Self::MentorshipWithdrawn => "MENTORSHIP_WITHDRAWN",
            Self::MentorshipExpired { .. } => "MENTORSHIP_EXPIRED",
            Self::MentorshipEnded => "MENTORSHIP_ENDED",
            Self::MentorshipCompleted => "MENTORSHIP_COMPLETED",
            Self::MentorPaused => "MENTOR_PAUSED",
            Self::RoundMentorFound => "ROUND_MENTOR_FOUND",
            Self::RoundMenteeFound => "ROUND_MENTEE_FOUND",
            Self::CheckinReminder => "CHECKIN_REMINDER",
            Self::SupportRequested => "SUPPORT_REQUESTED",
            Self::SupportTaken => "SUPPORT_TAKEN",
            Self::SupportClosed => "SUPPORT_CLOSED",
            Self::ConversationClosedByModeration => "CONVERSATION_CLOSED_BY_MODERATION",
            Self::OutreachOffered => "OUTREACH_OFFERED",
            Self::SupportStillWaiting(_) => "SUPPORT_STILL_WAITING",
        }
    }

    /// Title and body in `locale`; `name` is the person the notification is about (its
    /// `about`), as the reader is shown them when reading.
    pub fn render(&self, locale: Locale, name: &str) -> (String, String) {
        let id = format!(
            "notification-{}",
            self.kind().to_lowercase().replace('_', "-")
        );
        let mut args = FluentArgs::new();
        args.set("name", name);
        match self {
            Self::GroupJoinRequest { group }
            | Self::GroupJoinApproved { group }
            | Self::PostReply { group }
            | Self::PostRemovedPostingSuspended { group } => args.set("group", group.as_str()),
            Self::WorkshopReminder { title, hours } => {
                args.set("title", title.as_str());
                args.set("hours", *hours);
            }
            Self::WorkshopSeat { title }
            | Self::WorkshopChanged { title }
            | Self::WorkshopCancelled { title }
            | Self::WorkshopRegistrationEnded { title } => args.set("title", title.as_str()),
            Self::MentorshipExpired { suggested } => args.set("suggested", *suggested),
            Self::SupportStillWaiting(services) => {
                let listed = services
                    .get(locale.as_str())
                    .or_else(|| services.get(Locale::default().as_str()))
                    .map(|services| super::join(locale, services))
                    .unwrap_or_default();
                args.set("services", listed);
            }
            _ => {}
        }
        let part = |attribute| bundles::format(locale, &id, Some(attribute), &args);
        (part("title"), part("body"))
    }
}

/// What a push of a sensitive category shows on a lock screen instead of its text.
pub fn neutral_push(locale: Locale) -> (String, String) {
    let args = FluentArgs::new();
    let part = |attribute| bundles::format(locale, "notification-neutral", Some(attribute), &args);
    (part("title"), part("body"))
}

/// The texts of documents Relais serves besides the API: calendars and certificates.
#[derive(Debug, Clone, PartialEq, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum DocumentText {
    CalendarName,
    OnlineLink {
        url: String,
    },
    Materials {
        text: String,
    },
    CertificateTitle,
    CertificateStatement {
        name: String,
        title: String,
        date: chrono::NaiveDate,
        hours: f64,
    },
    CertificateOrganiser {
        name: String,
    },
    CertificateCode {
        code: String,
    },
    CertificateCheck {
        url: String,
    },
}

impl Localized for DocumentText {
    fn fluent_id(&self) -> String {
        format!("document-{}", <&'static str>::from(self))
    }

    fn fluent_args(&self, _: Locale) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        match self {
            Self::OnlineLink { url } | Self::CertificateCheck { url } => {
                args.set("url", url.as_str())
            }
            Self::Materials { text } => args.set("text", text.as_str()),
            Self::CertificateOrganiser { name } => args.set("name", name.as_str()),
            Self::CertificateCode { code } => args.set("code", code.as_str()),
            Self::CertificateStatement {
                name,
                title,
                date,
                hours,
            } => {
                args.set("name", name.as_str());
                args.set("title", title.as_str());
                args.set("day", date.format("%d").to_string());
                args.set("month", date.format("%m").to_string());
                args.set("year", date.format("%Y").to_string());
                // Tenths of an hour, so that each language writes its own decimal mark.
                let tenths = (hours * 10.0).round() as i64;
                args.set("hours", *hours);
                args.set("whole", tenths / 10);
                args.set("tenths", tenths % 10);
            }
            Self::CalendarName | Self::CertificateTitle => {}
        }
        args
    }
}

/// The texts of mails: a subject and a plain-text body (the HTML part is made from it).
#[derive(Debug, Clone, PartialEq, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum MailText {
    /// Confirm an address: a link into the app and the code it carries, for typing.
    ConfirmAddress {
        name: String,
        code: String,
        link: String,
    },
    /// The password changed: a notice, with what to do if it was not them.
    PasswordChanged { name: String },
    /// Choose a new password: a link into the app and its code.
    ResetPassword {
        name: String,
        code: String,
        link: String,
    },
    /// Confirm a new address for the account: a link into the app and its code.
    ConfirmNewAddress {
        name: String,
        code: String,
        link: String,
    },
    /// A move of the account to another address was asked for: a notice to the current one.
    AddressChangeRequested { name: String, new_address: String },
}

impl MailText {
    /// Subject and body in `locale`.
    pub fn render(&self, locale: Locale) -> (String, String) {
        let id = format!("mail-{}", <&'static str>::from(self));
        let mut args = FluentArgs::new();
        match self {
            Self::ConfirmAddress { name, code, link }
            | Self::ResetPassword { name, code, link }
            | Self::ConfirmNewAddress { name, code, link } => {
                args.set("name", name.as_str());
                args.set("code", code.as_str());
                args.set("link", link.as_str());
            }
            Self::PasswordChanged { name } => args.set("name", name.as_str()),
            Self::AddressChangeRequested { name, new_address } => {
                args.set("name", name.as_str());
                args.set("new_address", new_address.as_str());
            }
        }
        let part = |attribute| bundles::format(locale, &id, Some(attribute), &args);
        (part("subject"), part("body"))
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;
    use crate::i18n::bundles::format_in;

    /// The text in `language` alone, failing on a missing id, attribute or argument.
    fn strict(language: &str, id: &str, attribute: Option<&str>, args: &FluentArgs) -> String {
        let (text, errors) = format_in(language, id, attribute, args)
            .unwrap_or_else(|| panic!("locales/{language} lacks {id} {attribute:?}"));
        assert!(errors.is_empty(), "{language} {id}: {errors:?}");
        assert!(!text.trim().is_empty(), "{language} {id} is empty");
        text
    }

    fn examples_of_message() -> Vec<Message> {
        let mut examples: Vec<Message> = Message::iter().collect();
        // Each side of the selectors: singular and plural.
        examples.push(Message::ErrorsOmitted { count: 1 });
        examples.push(Message::ErrorsOmitted { count: 4 });
        examples.push(Message::BelowConfirmed { confirmed: 1 });
        examples.push(Message::SharesPerPeriod { max: 3, weeks: 4 });
        examples.push(Message::InstrumentAnswers {
            items: 5,
            min: 0,
            max: 5,
        });
        examples
    }

    #[test]
    fn every_text_resolves_in_every_language_with_its_arguments() {
        for locale in Locale::all() {
            let language = locale.as_str();
            let messages = examples_of_message().into_iter();
            let texts = messages
                .map(|message| Box::new(message) as Box<dyn Localized>)
                .chain(DocumentText::iter().map(|document| Box::new(document) as _));
            for text in texts {
                strict(language, &text.fluent_id(), None, &text.fluent_args(locale));
            }
            for notification in NotificationText::iter() {
                let id = format!(
                    "notification-{}",
                    notification.kind().to_lowercase().replace('_', "-")
                );
                let (title, body) = notification.render(locale, "Camille");
                for (part, rendered) in [("title", title), ("body", body)] {
                    assert!(
                        format_in(language, &id, Some(part), &FluentArgs::new()).is_some(),
                        "locales/{language} lacks {id}.{part}"
                    );
                    assert!(
                        !rendered.contains(&id),
                        "{language} {id}.{part}: {rendered}"
                    );
                }
            }
            for part in ["title", "body"] {
                strict(
                    language,
                    "notification-neutral",
                    Some(part),
                    &FluentArgs::new(),
                );
            }
        }
    }

    #[test]
    fn counts_and_choices_read_naturally() {
        let fr = Locale::default();
        let en = Locale::parse("en").expect("English");
        assert_eq!(
            Message::ErrorsOmitted { count: 1 }.render(en),
            "1 more error omitted."
        );
        assert_eq!(
            Message::SharesPerPeriod { max: 3, weeks: 1 }.render(fr),
            "Vos bilans d'un même questionnaire peuvent compter pour 3 groupes au plus par \
             période de 1 semaine."
        );
        let reminder = |hours| NotificationText::WorkshopReminder {
            title: "Respirer".into(),
            hours,
        };
        assert_eq!(reminder(24).render(fr, "").0, "Demain : Respirer");
        assert_eq!(reminder(2).render(en, "").1, "Your workshop starts in 2 h.");
        let statement = |hours| DocumentText::CertificateStatement {
            name: "Camille".into(),
            title: "Respirer".into(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 3, 9).expect("a date"),
            hours,
        };
        assert_eq!(
            statement(1.5).render(fr),
            "Camille a participé à l'atelier « Respirer » le 09/03/2026, d'une durée de 1,5 heure."
        );
        assert_eq!(
            statement(2.0).render(en),
            "Camille attended the workshop “Respirer” on 2026-03-09, lasting 2 hours."
        );
        let waiting = NotificationText::SupportStillWaiting(BTreeMap::from([
            (
                "fr".to_owned(),
                vec!["3114".to_owned(), "SAMU (15)".to_owned()],
            ),
            ("en".to_owned(), vec!["3114".to_owned()]),
        ]));
        assert!(waiting.render(fr, "").1.ends_with(": 3114 ; SAMU (15)."));
        let (subject, body) = MailText::ConfirmAddress {
            name: "Camille".into(),
            code: "c0de".into(),
            link: "https://relais.test/app/confirm-email?token=c0de".into(),
        }
        .render(en);
        assert_eq!(subject, "Confirm your email address");
        assert!(
            body.starts_with("Hello Camille,\n\n")
                && body.contains("\n\nhttps://relais.test/app/confirm-email?token=c0de\n\n"),
            "{body:?}"
        );
        // A stored notice keeps its shape: the services by language, as before.
        assert_eq!(
            serde_json::to_string(&waiting).expect("serialises"),
            r#"{"SupportStillWaiting":{"en":["3114"],"fr":["3114","SAMU (15)"]}}"#
        );
    }
}

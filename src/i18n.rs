//! Every text a user reads, in French (the default) and English, from one place.
//!
//! The locale of the request being served is kept in a task-local, so that errors raised deep in
//! a service are rendered in the viewer's language when they reach the GraphQL layer.

use std::future::Future;

/// A language the app speaks. French first: most users are French-speaking health workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Fr,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Fr, Locale::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }

    pub fn parse(tag: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|locale| locale.as_str().eq_ignore_ascii_case(tag))
    }

    /// The preferred supported language of an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        header
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let primary = tag.split('-').next()?;
                let quality = parts
                    .filter_map(|param| param.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                let locale = Self::parse(primary)?;
                (quality > 0.0).then_some((quality, position, locale))
            })
            // Highest quality first; among equals, the order the client gave.
            .min_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)))
            .map(|(_, _, locale)| locale)
    }
}

tokio::task_local! {
    static REQUEST_LOCALE: Locale;
}

/// Runs `future` with `locale` as the language of every message it renders.
pub async fn scope<F: Future>(locale: Locale, future: F) -> F::Output {
    REQUEST_LOCALE.scope(locale, future).await
}

/// Runs `job` (synchronous, on another thread) with `locale` as the language of every message
/// it renders: database work keeps its request's language.
pub fn within<T>(locale: Locale, job: impl FnOnce() -> T) -> T {
    REQUEST_LOCALE.sync_scope(locale, job)
}

/// The locale of the request being served (French outside any request).
pub fn current() -> Locale {
    REQUEST_LOCALE
        .try_with(|locale| *locale)
        .unwrap_or_default()
}

/// A message for a person, rendered in their locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    SignInRequired,
    SessionInvalid,
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
        max: usize,
    },
    TooDeep {
        max: usize,
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

impl Message {
    pub fn render(&self, locale: Locale) -> String {
        use Locale::{En, Fr};
        match (self, locale) {
            (Self::SignInRequired, Fr) => "Connectez-vous pour continuer.".into(),
            (Self::SignInRequired, En) => "Please sign in to continue.".into(),
            (Self::SessionInvalid, Fr) => {
                "Votre session a expiré ou n'est plus valide : reconnectez-vous.".into()
            }
            (Self::SessionInvalid, En) => {
                "Your session has expired or is no longer valid: please sign in again.".into()
            }
            (Self::WrongCredentials, Fr) => "Adresse e-mail ou mot de passe incorrect.".into(),
            (Self::WrongCredentials, En) => "Incorrect email address or password.".into(),
            (Self::Forbidden, Fr) => "Vous n'avez pas accès à cette ressource.".into(),
            (Self::Forbidden, En) => "You do not have access to this resource.".into(),
            (Self::NotFound, Fr) => "Introuvable.".into(),
            (Self::NotFound, En) => "Not found.".into(),
            (Self::RateLimited, Fr) => "Trop de tentatives : réessayez plus tard.".into(),
            (Self::RateLimited, En) => "Too many attempts: please try again later.".into(),
            (Self::Internal, Fr) => "Une erreur interne est survenue.".into(),
            (Self::Internal, En) => "An internal error occurred.".into(),
            (Self::MalformedRequest, Fr) => "Requête GraphQL illisible (JSON attendu).".into(),
            (Self::MalformedRequest, En) => "Unreadable GraphQL request (JSON expected).".into(),
            (Self::LengthBetween { min, max }, Fr) => {
                format!("Doit compter entre {min} et {max} caractères.")
            }
            (Self::LengthBetween { min, max }, En) => {
                format!("Must be between {min} and {max} characters long.")
            }
            (Self::TooLong { max }, Fr) => format!("Ne doit pas dépasser {max} caractères."),
            (Self::TooLong { max }, En) => format!("Must be at most {max} characters long."),
            (Self::SupportRequestOpen, Fr) => "Votre demande de soutien est déjà ouverte : un \
                 pair va vous répondre."
                .into(),
            (Self::SupportRequestOpen, En) => {
                "Your support request is already open: a peer will answer you.".into()
            }
            (Self::TooManySupportRequests { max }, Fr) => {
                format!("Au plus {max} demandes de soutien par jour.")
            }
            (Self::TooManySupportRequests { max }, En) => {
                format!("At most {max} support requests a day.")
            }
            (Self::SharesPerPeriod { max, weeks }, Fr) => format!(
                "Vos bilans d'un même questionnaire peuvent compter pour {max} groupes au plus \
                 par période de {weeks} semaine(s)."
            ),
            (Self::SharesPerPeriod { max, weeks }, En) => format!(
                "Your check-ins on one questionnaire may count for at most {max} groups per \
                 period of {weeks} week(s)."
            ),
            (Self::WellbeingTenure, Fr) => "Ne comptent que les personnes membres actives du \
                 groupe avant le début de la période, et qui ont partagé leur bilan avec lui."
                .into(),
            (Self::WellbeingTenure, En) => "Only people who were active members of the group \
                 before the period began, and shared their check-in with it, count."
                .into(),
            (Self::WellbeingPrivacy { min_respondents, weeks }, Fr) => format!(
                "Le chiffre d'une équipe couvre {weeks} semaine(s) et n'est publié qu'une fois la \
                 période close, à partir d'au moins {min_respondents} membres présents avant son \
                 début, avec un bruit aléatoire tiré une seule fois : personne ne peut en déduire \
                 la réponse de quelqu'un, et il ne change plus ensuite."
            ),
            (Self::WellbeingPrivacy { min_respondents, weeks }, En) => format!(
                "A team's figure covers {weeks} week(s) and is published once, after the period \
                 closes, from at least {min_respondents} people who were members before it began, \
                 with random noise drawn a single time: no one can work out anyone's answer from \
                 it, and it never changes afterwards."
            ),
            (Self::TooMany { max }, Fr) => format!("Au plus {max} éléments."),
            (Self::TooMany { max }, En) => format!("At most {max} items."),
            (Self::InvalidEmail, Fr) => "Adresse e-mail invalide.".into(),
            (Self::InvalidEmail, En) => "Invalid email address.".into(),
            (Self::EmailTaken, Fr) => "Un compte existe déjà avec cette adresse e-mail.".into(),
            (Self::EmailTaken, En) => "An account already exists with this email address.".into(),
            (Self::InvalidLanguage { value }, Fr) => {
                format!("« {value} » n'est pas un code de langue (fr, en…).")
            }
            (Self::InvalidLanguage { value }, En) => {
                format!("\"{value}\" is not a language code (fr, en…).")
            }
            (Self::InvalidTimezone { value }, Fr) => {
                format!("« {value} » n'est pas un fuseau horaire IANA (Europe/Paris…).")
            }
            (Self::InvalidTimezone { value }, En) => {
                format!("\"{value}\" is not an IANA time zone (Europe/Paris…).")
            }
            (Self::InvalidLocale { value }, Fr) => {
                format!("« {value} » n'est pas une langue de l'application (fr ou en).")
            }
            (Self::InvalidLocale { value }, En) => {
                format!("\"{value}\" is not an app language (fr or en).")
            }
            (Self::InvalidTimeOfDay { value }, Fr) => {
                format!("« {value} » n'est pas une heure HH:MM (22:00…).")
            }
            (Self::InvalidTimeOfDay { value }, En) => {
                format!("\"{value}\" is not a time HH:MM (22:00…).")
            }
            (Self::QuietHoursNeedBoth, Fr) => {
                "Indiquez le début et la fin des heures calmes, ou aucun des deux.".into()
            }
            (Self::QuietHoursNeedBoth, En) => {
                "Give both the start and the end of quiet hours, or neither.".into()
            }
            (Self::QuietHoursEmpty, Fr) => {
                "Le début et la fin des heures calmes doivent différer.".into()
            }
            (Self::QuietHoursEmpty, En) => {
                "Quiet hours must start and end at different times.".into()
            }
            (Self::InvalidCursor, Fr) => "Curseur de pagination invalide.".into(),
            (Self::InvalidCursor, En) => "Invalid pagination cursor.".into(),
            (Self::NumberBetween { min, max }, Fr) => format!("Doit être entre {min} et {max}."),
            (Self::NumberBetween { min, max }, En) => format!("Must be between {min} and {max}."),
            (Self::GroupNameTaken, Fr) => "Un groupe porte déjà ce nom.".into(),
            (Self::GroupNameTaken, En) => "A group with this name already exists.".into(),
            (Self::AlreadyMember, Fr) => {
                "Vous êtes déjà membre de ce groupe ou votre demande est en attente.".into()
            }
            (Self::AlreadyMember, En) => {
                "You are already a member of this group or your request is pending.".into()
            }
            (Self::LastFacilitator, Fr) => "C'est le dernier animateur du groupe : \
                 confiez d'abord ce rôle à un autre membre."
                .into(),
            (Self::LastFacilitator, En) => "This is the group's last facilitator: \
                 hand the role to another member first."
                .into(),
            (Self::NotAMember, Fr) => "Cette personne n'est pas membre du groupe.".into(),
            (Self::NotAMember, En) => "This person is not a member of the group.".into(),
            (Self::InvalidParentPost, Fr) => {
                "On ne répond qu'à une publication principale du même groupe.".into()
            }
            (Self::InvalidParentPost, En) => {
                "Replies go to a top-level post of the same group.".into()
            }
            (Self::CannotTargetSelf, Fr) => "Impossible de vous viser vous-même.".into(),
            (Self::CannotTargetSelf, En) => "You cannot do this to yourself.".into(),
            (Self::ReportAlreadyResolved, Fr) => "Ce signalement est déjà traité.".into(),
            (Self::ReportAlreadyResolved, En) => "This report has already been resolved.".into(),
            (Self::WrongPassword, Fr) => "Mot de passe incorrect.".into(),
            (Self::WrongPassword, En) => "Incorrect password.".into(),
            (Self::PostingSuspended, Fr) => "Vous ne pouvez plus publier dans ce groupe.".into(),
            (Self::PostingSuspended, En) => "You can no longer post in this group.".into(),
            (Self::AlreadyReported, Fr) => "Vous avez déjà signalé cette publication.".into(),
            (Self::AlreadyReported, En) => "You have already reported this post.".into(),
            (Self::NoSuccessor, Fr) => "Aucun autre membre actif ne peut reprendre \
                 l'animation du groupe."
                .into(),
            (Self::NoSuccessor, En) => {
                "No other active member can take over as the group's facilitator.".into()
            }
            (Self::ControlCharacters, Fr) => {
                "Caractères de contrôle refusés (seuls le retour à la ligne et la tabulation \
                 sont acceptés)."
                    .into()
            }
            (Self::ControlCharacters, En) => {
                "Control characters are not accepted (only newline and tab are).".into()
            }
            (Self::InvisibleCharacters, Fr) => {
                "Les caractères invisibles ou d'inversion de sens sont refusés dans un nom.".into()
            }
            (Self::InvisibleCharacters, En) => {
                "Invisible and direction-changing characters are not accepted in a name.".into()
            }
            (Self::TooDeep { max }, Fr) => {
                format!("Requête trop imbriquée : au plus {max} niveaux.")
            }
            (Self::TooDeep { max }, En) => format!("Query nested too deep: at most {max} levels."),
            (Self::TooManyAliases { max }, Fr) => {
                format!("Requête trop large : au plus {max} alias par opération.")
            }
            (Self::TooManyAliases { max }, En) => {
                format!("Request too wide: at most {max} aliases per operation.")
            }
            (Self::ErrorsOmitted { count }, Fr) => format!("{count} autres erreurs omises."),
            (Self::ErrorsOmitted { count }, En) => format!("{count} more errors omitted."),
            (Self::EventsMissed, Fr) => "Des événements ont été manqués : rechargez la liste \
                 puis abonnez-vous de nouveau."
                .into(),
            (Self::EventsMissed, En) => {
                "Events were missed: reload the list, then subscribe again.".into()
            }
            (Self::TooManySubscriptions { max }, Fr) => {
                format!("Au plus {max} abonnements par connexion.")
            }
            (Self::DeviceRaced, Fr) => {
                "Cet appareil vient d'être enregistré ailleurs : réessayez.".into()
            }
            (Self::DeviceRaced, En) => {
                "This device was just registered elsewhere: please try again.".into()
            }
            (Self::TooManySubscriptions { max }, En) => {
                format!("At most {max} subscriptions per connection.")
            }
            (Self::ErasedPost, Fr) => "Message supprimé".into(),
            (Self::ErasedPost, En) => "Message deleted".into(),
            (Self::ErasedAccount, Fr) => "Compte supprimé".into(),
            (Self::ErasedAccount, En) => "Deleted account".into(),
            (Self::Someone, Fr) => "Quelqu'un".into(),
            (Self::Someone, En) => "Someone".into(),
            (Self::MustBeInFuture, Fr) => "Doit être dans le futur.".into(),
            (Self::MustBeInFuture, En) => "Must be in the future.".into(),
            (Self::EndBeforeStart, Fr) => "La fin doit venir après le début.".into(),
            (Self::EndBeforeStart, En) => "The end must come after the start.".into(),
            (Self::LongerThanHours { hours }, Fr) => format!("Au plus {hours} heures."),
            (Self::LongerThanHours { hours }, En) => format!("At most {hours} hours."),
            (Self::RequiredForFormat, Fr) => "Obligatoire pour ce format.".into(),
            (Self::RequiredForFormat, En) => "Required for this format.".into(),
            (Self::HttpsUrl, Fr) => "Une adresse https:// est attendue.".into(),
            (Self::HttpsUrl, En) => "An https:// address is expected.".into(),
            (Self::CoordinatesInPerson, Fr) => {
                "Seul un atelier en présentiel ou hybride a des coordonnées.".into()
            }
            (Self::CoordinatesInPerson, En) => {
                "Only in-person and hybrid workshops have coordinates.".into()
            }
            (Self::BothOrNeither, Fr) => "Indiquez la latitude et la longitude, ou aucune.".into(),
            (Self::BothOrNeither, En) => "Give both latitude and longitude, or neither.".into(),
            (Self::WorkshopClosed, Fr) => "Cet atelier a commencé ou a été annulé.".into(),
            (Self::WorkshopClosed, En) => "This workshop has started or was cancelled.".into(),
            (Self::CannotChange, Fr) => "Ne peut pas être modifié.".into(),
            (Self::CannotChange, En) => "Cannot be changed.".into(),
            (Self::BelowConfirmed { confirmed }, Fr) => {
                format!("{confirmed} personnes sont déjà confirmées : pas moins de places.")
            }
            (Self::BelowConfirmed { confirmed }, En) => {
                format!("{confirmed} people are already confirmed: no fewer seats.")
            }
            (Self::AlreadyRegistered, Fr) => "Vous êtes déjà inscrit·e à cet atelier.".into(),
            (Self::AlreadyRegistered, En) => "You are already registered for this workshop.".into(),
            (Self::NotRegistered, Fr) => "Vous n'êtes pas inscrit·e à cet atelier.".into(),
            (Self::NotRegistered, En) => "You are not registered for this workshop.".into(),
            (Self::AttendanceWindow { days }, Fr) => {
                format!("La présence se note du début de l'atelier à {days} jours après sa fin.")
            }
            (Self::AttendanceWindow { days }, En) => {
                format!("Attendance is recorded from the start until {days} days after the end.")
            }
            (Self::NotConfirmed, Fr) => "Cette personne n'a pas de place confirmée.".into(),
            (Self::NotConfirmed, En) => "This person has no confirmed seat.".into(),
            (Self::NotEndedYet, Fr) => "On évalue un atelier une fois terminé.".into(),
            (Self::NotEndedYet, En) => "A workshop is rated once it has ended.".into(),
            (Self::OnlyAttendeesRate, Fr) => {
                "Seules les personnes qui y ont participé évaluent un atelier.".into()
            }
            (Self::OnlyAttendeesRate, En) => "Only people who took part rate a workshop.".into(),
            (Self::ChooseBetween { min, max }, Fr) => {
                format!("Choisissez entre {min} et {max} éléments.")
            }
            (Self::ChooseBetween { min, max }, En) => {
                format!("Choose between {min} and {max} items.")
            }
            (Self::TransitionNotAllowed { from, to }, Fr) => {
                format!("Impossible de passer de {from} à {to}.")
            }
            (Self::TransitionNotAllowed { from, to }, En) => {
                format!("Cannot go from {from} to {to}.")
            }
            (Self::MentorUnavailable, Fr) => {
                "Ce mentor fait une pause ou n'a plus de place.".into()
            }
            (Self::MentorUnavailable, En) => "This mentor is on a break or full.".into(),
            (Self::AlreadyRequested, Fr) => {
                "Une demande à ce mentor est déjà ouverte ou en cours.".into()
            }
            (Self::AlreadyRequested, En) => {
                "A request to this mentor is already open or active.".into()
            }
            (Self::TooManyOpenRequests { max }, Fr) => {
                format!("Au plus {max} demandes ouvertes à la fois.")
            }
            (Self::TooManyOpenRequests { max }, En) => {
                format!("At most {max} open requests at a time.")
            }
            (Self::NoFreeSlot, Fr) => "Plus aucune place libre.".into(),
            (Self::NoFreeSlot, En) => "No free slot left.".into(),
            (Self::MentorshipNotActive, Fr) => "Ce mentorat n'est pas en cours.".into(),
            (Self::MentorshipNotActive, En) => "This mentorship is not active.".into(),
            (Self::OnlyAfterCompletion, Fr) => {
                "Un avis se laisse une fois le mentorat terminé.".into()
            }
            (Self::OnlyAfterCompletion, En) => {
                "Feedback is left once the mentorship is completed.".into()
            }
            (Self::ConversationClosed, Fr) => {
                "Cette conversation est close : elle reste lisible.".into()
            }
            (Self::InstrumentAnswers { items, min, max }, Fr) => {
                format!("Attendu : {items} réponse(s), chacune de {min} à {max}.")
            }
            (Self::InstrumentAnswers { items, min, max }, En) => {
                format!("Expected: {items} answer(s), each from {min} to {max}.")
            }
            (Self::RoundProposal, Fr) => {
                "Mise en relation proposée par le programme de mentorat, selon vos domaines, vos langues et vos disponibilités.".into()
            }
            (Self::RoundProposal, En) => {
                "Suggested by the mentorship programme from your areas, languages and availability.".into()
            }
            (Self::TooManyOutreach { max }, Fr) => {
                format!("Au plus {max} suggestions par semaine.")
            }
            (Self::TooManyOutreach { max }, En) => format!("At most {max} suggestions a week."),
            (Self::RequestTaken, Fr) => "Un autre pair a déjà pris cette demande.".into(),
            (Self::RequestTaken, En) => "Another peer has already taken this request.".into(),
            (Self::ConversationClosed, En) => {
                "This conversation has ended: it can still be read.".into()
            }
            (Self::ConversationAlreadyReported, Fr) => {
                "Vous avez déjà signalé cette conversation : les modérateurs l'examinent.".into()
            }
            (Self::ConversationAlreadyReported, En) => {
                "You have already reported this conversation: the moderators are looking at it."
                    .into()
            }
            (Self::NotTheOtherPersonsMessage, Fr) => {
                "Choisissez un message de l'autre personne, dans cette conversation.".into()
            }
            (Self::NotTheOtherPersonsMessage, En) => {
                "Choose a message the other person wrote in this conversation.".into()
            }
        }
    }
}

/// The texts of a notification: one variant per kind, with what the text mentions besides the
/// person it is about (stored apart, by id, and named when read).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    SupportStillWaiting {
        fr: Vec<String>,
        en: Vec<String>,
    },
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
            Self::SupportStillWaiting { .. } => "SUPPORT_STILL_WAITING",
        }
    }

    /// Title and body in `locale`; `name` is the person the notification is about (its
    /// `about`), as the reader is shown them when reading.
    pub fn render(&self, locale: Locale, name: &str) -> (String, String) {
        use Locale::{En, Fr};
        match (self, locale) {
            (Self::Welcome, Fr) => (
                format!("Bienvenue sur Relais, {name}"),
                "Rejoignez un groupe de pairs, trouvez un mentor ou prenez un moment pour vous."
                    .into(),
            ),
            (Self::Welcome, En) => (
                format!("Welcome to Relais, {name}"),
                "Join a peer group, find a mentor or take a moment for yourself.".into(),
            ),
            (Self::TestPush, Fr) => (
                "Notification de test".into(),
                "Les notifications arrivent bien sur cet appareil.".into(),
            ),
            (Self::TestPush, En) => (
                "Test notification".into(),
                "Notifications reach this device.".into(),
            ),
            (Self::GroupJoinRequest { group }, Fr) => (
                format!("Demande d'adhésion à {group}"),
                "Une personne souhaite rejoindre votre groupe.".into(),
            ),
            (Self::GroupJoinRequest { group }, En) => (
                format!("Request to join {group}"),
                "Someone would like to join your group.".into(),
            ),
            (Self::GroupJoinApproved { group }, Fr) => (
                format!("Bienvenue dans {group}"),
                "Votre demande d'adhésion a été acceptée.".into(),
            ),
            (Self::GroupJoinApproved { group }, En) => (
                format!("Welcome to {group}"),
                "Your request to join was accepted.".into(),
            ),
            (Self::PostReply { group }, Fr) => (
                format!("Nouvelle réponse dans {group}"),
                "Quelqu'un a répondu à votre publication.".into(),
            ),
            (Self::PostReply { group }, En) => (
                format!("New reply in {group}"),
                "Someone replied to your post.".into(),
            ),
            (Self::PostRemovedPostingSuspended { group }, Fr) => (
                format!("Publication retirée dans {group}"),
                "Un modérateur a retiré l'une de vos publications anonymes. Vous restez membre \
                 du groupe mais ne pouvez plus y publier."
                    .into(),
            ),
            (Self::PostRemovedPostingSuspended { group }, En) => (
                format!("Post removed in {group}"),
                "A moderator removed one of your anonymous posts. You remain a member of the \
                 group but can no longer post in it."
                    .into(),
            ),
            (Self::WorkshopReminder { title, hours: 24 }, Fr) => (
                format!("Demain : {title}"),
                "Votre atelier commence dans 24 heures.".into(),
            ),
            (Self::WorkshopReminder { title, hours: 24 }, En) => (
                format!("Tomorrow: {title}"),
                "Your workshop starts in 24 hours.".into(),
            ),
            (Self::WorkshopReminder { title, hours }, Fr) => (
                format!("Bientôt : {title}"),
                format!("Votre atelier commence dans {hours} h."),
            ),
            (Self::WorkshopReminder { title, hours }, En) => (
                format!("Soon: {title}"),
                format!("Your workshop starts in {hours} h."),
            ),
            (Self::WorkshopSeat { title }, Fr) => (
                format!("Une place pour vous : {title}"),
                "Une place s'est libérée : votre inscription est confirmée.".into(),
            ),
            (Self::WorkshopSeat { title }, En) => (
                format!("A seat for you: {title}"),
                "A seat opened up: your registration is confirmed.".into(),
            ),
            (Self::WorkshopChanged { title }, Fr) => (
                format!("Changement : {title}"),
                "L'horaire ou le lieu de l'atelier a changé.".into(),
            ),
            (Self::WorkshopChanged { title }, En) => (
                format!("Changed: {title}"),
                "The workshop's time or place has changed.".into(),
            ),
            (Self::WorkshopCancelled { title }, Fr) => (
                format!("Annulé : {title}"),
                "Cet atelier est annulé.".into(),
            ),
            (Self::WorkshopCancelled { title }, En) => (
                format!("Cancelled: {title}"),
                "This workshop is cancelled.".into(),
            ),
            (Self::WorkshopRegistrationEnded { title }, Fr) => (
                format!("Inscription terminée : {title}"),
                "Vous ne faites plus partie du groupe de cet atelier : votre inscription a pris fin."
                    .into(),
            ),
            (Self::WorkshopRegistrationEnded { title }, En) => (
                format!("Registration ended: {title}"),
                "You are no longer in this workshop's group: your registration has ended.".into(),
            ),
            (Self::NewMessage, Fr) => {
                ("Nouveau message".into(), format!("{name} vous a écrit."))
            }
            (Self::NewMessage, En) => {
                ("New message".into(), format!("{name} wrote to you."))
            }
            (Self::MentorshipRequested, Fr) => (
                "Nouvelle demande de mentorat".into(),
                format!("{name} aimerait être accompagné·e par vous."),
            ),
            (Self::MentorshipRequested, En) => (
                "New mentorship request".into(),
                format!("{name} would like you as a mentor."),
            ),
            (Self::MentorshipWaiting, Fr) => (
                "Une demande vous attend".into(),
                format!("{name} attend votre réponse depuis 5 jours."),
            ),
            (Self::MentorshipWaiting, En) => (
                "A request is waiting".into(),
                format!("{name} has been waiting 5 days for your answer."),
            ),
            (Self::MentorshipAccepted, Fr) => (
                "Demande acceptée".into(),
                format!("{name} a accepté de vous accompagner."),
            ),
            (Self::MentorshipAccepted, En) => (
                "Request accepted".into(),
                format!("{name} agreed to mentor you."),
            ),
            (Self::MentorshipDeclined, Fr) => (
                "Demande déclinée".into(),
                format!("{name} ne peut pas vous accompagner : d'autres mentors le peuvent."),
            ),
            (Self::MentorshipDeclined, En) => (
                "Request declined".into(),
                format!("{name} cannot mentor you: other mentors can."),
            ),
            (Self::MentorshipWithdrawn, Fr) => (
                "Demande retirée".into(),
                format!("{name} a retiré sa demande de mentorat."),
            ),
            (Self::MentorshipWithdrawn, En) => (
                "Request withdrawn".into(),
                format!("{name} withdrew their mentorship request."),
            ),
            (Self::MentorshipExpired { suggested }, Fr) => (
                "Demande sans réponse".into(),
                match suggested {
                    0 => format!(
                        "{name} n'a pas répondu en 14 jours. Relancez une recherche de mentor."
                    ),
                    _ => format!(
                        "{name} n'a pas répondu en 14 jours. D'autres mentors sont disponibles \
                         pour vous : retrouvez-les dans Mentorat."
                    ),
                },
            ),
            (Self::MentorshipExpired { suggested }, En) => (
                "No answer".into(),
                match suggested {
                    0 => format!("{name} did not answer in 14 days. Search for a mentor again."),
                    _ => format!(
                        "{name} did not answer in 14 days. Other mentors are available for you: \
                         find them under Mentorship."
                    ),
                },
            ),
            (Self::MentorshipEnded, Fr) => (
                "Mentorat arrêté".into(),
                format!("{name} a mis fin au mentorat."),
            ),
            (Self::MentorshipEnded, En) => (
                "Mentorship ended".into(),
                format!("{name} ended the mentorship."),
            ),
            (Self::MentorshipCompleted, Fr) => (
                "Mentorat terminé".into(),
                format!(
                    "{name} a marqué votre mentorat comme terminé. Laissez un avis si vous le souhaitez."
                ),
            ),
            (Self::MentorshipCompleted, En) => (
                "Mentorship completed".into(),
                format!("{name} marked your mentorship as completed. Leave feedback if you wish."),
            ),
            (Self::MentorPaused, Fr) => (
                "Mentor en pause".into(),
                format!(
                    "{name} fait une pause : votre demande est close, d'autres mentors peuvent vous accompagner."
                ),
            ),
            (Self::MentorPaused, En) => (
                "Mentor on a break".into(),
                format!(
                    "{name} is taking a break: your request is closed; other mentors can help."
                ),
            ),
            (Self::RoundMentorFound, Fr) => (
                "Un mentor vous est proposé".into(),
                format!("Le programme de mentorat vous propose {name}."),
            ),
            (Self::RoundMentorFound, En) => (
                "A mentor for you".into(),
                format!("The mentorship programme suggests {name}."),
            ),
            (Self::RoundMenteeFound, Fr) => (
                "Une personne à accompagner".into(),
                format!("Le programme de mentorat vous propose d'accompagner {name}."),
            ),
            (Self::SupportRequested, Fr) => (
                "Une demande de soutien".into(),
                "Un·e collègue aimerait parler à un pair.".into(),
            ),
            (Self::SupportRequested, En) => (
                "A request for support".into(),
                "A colleague would like to talk to a peer.".into(),
            ),
            (Self::SupportTaken, Fr) => (
                "Un pair vous répond".into(),
                format!("{name} est là pour vous : la conversation est ouverte."),
            ),
            (Self::SupportTaken, En) => (
                "A peer is here".into(),
                format!("{name} is here for you: the conversation is open."),
            ),
            (Self::SupportStillWaiting { fr, .. }, Fr) => (
                "Nous cherchons encore un pair".into(),
                format!(
                    "Personne n'est disponible pour l'instant. Si vous en avez besoin maintenant : {}.",
                    fr.join(" ; ")
                ),
            ),
            (Self::SupportStillWaiting { en, .. }, En) => (
                "Still looking for a peer".into(),
                format!(
                    "Nobody is free just now. If you need someone now: {}.",
                    en.join("; ")
                ),
            ),
            (Self::OutreachOffered, Fr) => (
                "Un·e collègue pense à vous".into(),
                "Un·e collègue pense à vous. Un pair aidant est disponible si vous voulez en parler."
                    .into(),
            ),
            (Self::OutreachOffered, En) => (
                "A colleague is thinking of you".into(),
                "A colleague is thinking of you. A peer supporter is there if you would like to talk."
                    .into(),
            ),
            (Self::SupportClosed, Fr) => (
                "Conversation close".into(),
                "La conversation de soutien est terminée.".into(),
            ),
            (Self::SupportClosed, En) => (
                "Conversation closed".into(),
                "The support conversation has ended.".into(),
            ),
            (Self::ConversationClosedByModeration, Fr) => (
                "Conversation close".into(),
                "L'équipe de modération a clos une de vos conversations ; elle reste lisible.".into(),
            ),
            (Self::ConversationClosedByModeration, En) => (
                "Conversation closed".into(),
                "The moderation team closed one of your conversations; it can still be read."
                    .into(),
            ),
            (Self::CheckinReminder, Fr) => (
                "Un moment pour vous ?".into(),
                "Trente secondes pour faire le point, quand vous le souhaitez.".into(),
            ),
            (Self::CheckinReminder, En) => (
                "A moment for you?".into(),
                "Thirty seconds to check in with yourself, whenever suits you.".into(),
            ),
            (Self::RoundMenteeFound, En) => (
                "Someone to mentor".into(),
                format!("The mentorship programme suggests you mentor {name}."),
            ),
        }
    }
}

/// The texts of documents Relais serves besides the API: calendars and certificates.
#[derive(Debug, Clone, PartialEq)]
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

impl DocumentText {
    pub fn render(&self, locale: Locale) -> String {
        use Locale::{En, Fr};
        match (self, locale) {
            (Self::CalendarName, Fr) => "Relais : mes ateliers".into(),
            (Self::CalendarName, En) => "Relais: my workshops".into(),
            (Self::OnlineLink { url }, Fr) => format!("Lien de connexion : {url}"),
            (Self::OnlineLink { url }, En) => format!("Online link: {url}"),
            (Self::Materials { text }, Fr) => format!("À préparer : {text}"),
            (Self::Materials { text }, En) => format!("To prepare: {text}"),
            (Self::CertificateTitle, Fr) => "Attestation de participation".into(),
            (Self::CertificateTitle, En) => "Certificate of attendance".into(),
            (
                Self::CertificateStatement {
                    name,
                    title,
                    date,
                    hours,
                },
                Fr,
            ) => format!(
                "{name} a participé à l'atelier « {title} » le {}, d'une durée de {} heure(s).",
                date.format("%d/%m/%Y"),
                format!("{hours:.1}")
                    .trim_end_matches(".0")
                    .replace('.', ",")
            ),
            (
                Self::CertificateStatement {
                    name,
                    title,
                    date,
                    hours,
                },
                En,
            ) => format!(
                "{name} attended the workshop “{title}” on {}, lasting {} hour(s).",
                date.format("%Y-%m-%d"),
                format!("{hours:.1}").trim_end_matches(".0")
            ),
            (Self::CertificateOrganiser { name }, Fr) => format!("Organisé par {name}."),
            (Self::CertificateOrganiser { name }, En) => format!("Organised by {name}."),
            (Self::CertificateCode { code }, Fr) => format!("Code de vérification : {code}"),
            (Self::CertificateCode { code }, En) => format!("Verification code: {code}"),
            (Self::CertificateCheck { url }, Fr) => {
                format!(
                    "Toute personne qui détient ce code peut vérifier cette attestation : {url}"
                )
            }
            (Self::CertificateCheck { url }, En) => {
                format!("Anyone holding this code can check this certificate: {url}")
            }
        }
    }
}

/// A reason a mentor was suggested.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchReason {
    AreasInCommon(Vec<crate::mentorship::model::MentorshipArea>),
    SameProfession(crate::accounts::model::Profession),
    Speaks(String),
    SameRegion(String),
    Experience(i32),
    FreeSlots(i64),
}

impl MatchReason {
    pub fn render(&self, locale: Locale) -> String {
        use Locale::{En, Fr};
        match (self, locale) {
            (Self::AreasInCommon(areas), _) => {
                let names: Vec<&str> = areas.iter().map(|area| area_label(*area, locale)).collect();
                match (areas.len(), locale) {
                    (1, Fr) => format!("1 domaine en commun : {}", names.join(", ")),
                    (count, Fr) => format!("{count} domaines en commun : {}", names.join(", ")),
                    (1, En) => format!("1 area in common: {}", names.join(", ")),
                    (count, En) => format!("{count} areas in common: {}", names.join(", ")),
                }
            }
            (Self::SameProfession(profession), Fr) => {
                format!(
                    "Même profession : {}",
                    profession_label(*profession, locale)
                )
            }
            (Self::SameProfession(profession), En) => {
                format!("Same profession: {}", profession_label(*profession, locale))
            }
            (Self::Speaks(language), Fr) => format!("Parle {}", language_name(language, locale)),
            (Self::Speaks(language), En) => format!("Speaks {}", language_name(language, locale)),
            (Self::SameRegion(region), Fr) => format!("Même région : {region}"),
            (Self::SameRegion(region), En) => format!("Same region: {region}"),
            (Self::Experience(1), Fr) => "1 an d'expérience".into(),
            (Self::Experience(years), Fr) => format!("{years} ans d'expérience"),
            (Self::Experience(1), En) => "1 year of experience".into(),
            (Self::Experience(years), En) => format!("{years} years of experience"),
            (Self::FreeSlots(1), Fr) => "1 place libre".into(),
            (Self::FreeSlots(slots), Fr) => format!("{slots} places libres"),
            (Self::FreeSlots(1), En) => "1 free slot".into(),
            (Self::FreeSlots(slots), En) => format!("{slots} free slots"),
        }
    }
}

/// A mentorship area as people say it.
pub fn area_label(area: crate::mentorship::model::MentorshipArea, locale: Locale) -> &'static str {
    use crate::mentorship::model::MentorshipArea::*;
    match (area, locale) {
        (BurnoutPrevention, Locale::Fr) => "prévention de l'épuisement",
        (BurnoutPrevention, Locale::En) => "burnout prevention",
        (StressManagement, Locale::Fr) => "gestion du stress",
        (StressManagement, Locale::En) => "stress management",
        (WorkLifeBalance, Locale::Fr) => "équilibre vie pro-vie perso",
        (WorkLifeBalance, Locale::En) => "work-life balance",
        (CareerDevelopment, Locale::Fr) => "évolution de carrière",
        (CareerDevelopment, Locale::En) => "career development",
        (ClinicalPractice, Locale::Fr) => "pratique clinique",
        (ClinicalPractice, Locale::En) => "clinical practice",
        (Leadership, Locale::Fr) => "encadrement",
        (Leadership, Locale::En) => "leadership",
        (InterprofessionalCollaboration, Locale::Fr) => "travail interprofessionnel",
        (InterprofessionalCollaboration, Locale::En) => "interprofessional collaboration",
        (NewGraduateTransition, Locale::Fr) => "premières années après le diplôme",
        (NewGraduateTransition, Locale::En) => "first years after graduating",
        (Research, Locale::Fr) => "recherche",
        (Research, Locale::En) => "research",
        (GriefAndLoss, Locale::Fr) => "deuil et perte",
        (GriefAndLoss, Locale::En) => "grief and loss",
    }
}

/// A profession as people say it.
pub fn profession_label(
    profession: crate::accounts::model::Profession,
    locale: Locale,
) -> &'static str {
    use crate::accounts::model::Profession::*;
    match (profession, locale) {
        (Nurse, Locale::Fr) => "infirmier·e",
        (Nurse, Locale::En) => "nurse",
        (Physician, Locale::Fr) => "médecin",
        (Physician, Locale::En) => "physician",
        (CareAide, Locale::Fr) => "aide-soignant·e",
        (CareAide, Locale::En) => "care aide",
        (Midwife, Locale::Fr) => "sage-femme",
        (Midwife, Locale::En) => "midwife",
        (Pharmacist, Locale::Fr) => "pharmacien·ne",
        (Pharmacist, Locale::En) => "pharmacist",
        (Psychologist, Locale::Fr) => "psychologue",
        (Psychologist, Locale::En) => "psychologist",
        (Physiotherapist, Locale::Fr) => "kinésithérapeute",
        (Physiotherapist, Locale::En) => "physiotherapist",
        (OccupationalTherapist, Locale::Fr) => "ergothérapeute",
        (OccupationalTherapist, Locale::En) => "occupational therapist",
        (SocialWorker, Locale::Fr) => "assistant·e social·e",
        (SocialWorker, Locale::En) => "social worker",
        (Paramedic, Locale::Fr) => "ambulancier·e",
        (Paramedic, Locale::En) => "paramedic",
        (Dentist, Locale::Fr) => "chirurgien·ne-dentiste",
        (Dentist, Locale::En) => "dentist",
        (Student, Locale::Fr) => "étudiant·e",
        (Student, Locale::En) => "student",
        (Administrative, Locale::Fr) => "personnel administratif",
        (Administrative, Locale::En) => "administrative staff",
        (Other, Locale::Fr) => "autre profession",
        (Other, Locale::En) => "other profession",
    }
}

/// A language's name for a language tag, or the tag itself for one this table does not name.
pub fn language_name(tag: &str, locale: Locale) -> String {
    let names: &[(&str, &str, &str)] = &[
        ("fr", "français", "French"),
        ("en", "anglais", "English"),
        ("ar", "arabe", "Arabic"),
        ("es", "espagnol", "Spanish"),
        ("de", "allemand", "German"),
        ("it", "italien", "Italian"),
        ("pt", "portugais", "Portuguese"),
        ("nl", "néerlandais", "Dutch"),
        ("wo", "wolof", "Wolof"),
        ("ht", "créole haïtien", "Haitian Creole"),
    ];
    let primary = tag.split('-').next().unwrap_or(tag);
    names
        .iter()
        .find(|(code, _, _)| code.eq_ignore_ascii_case(primary))
        .map_or_else(
            || tag.to_owned(),
            |(_, fr, en)| match locale {
                Locale::Fr => (*fr).to_owned(),
                Locale::En => (*en).to_owned(),
            },
        )
}

/// What a push of a sensitive category shows on a lock screen instead of its text.
pub fn neutral_push(locale: Locale) -> (String, String) {
    match locale {
        Locale::Fr => (
            "Relais".into(),
            "Vous avez une nouvelle notification.".into(),
        ),
        Locale::En => ("Relais".into(), "You have a new notification.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_highest_quality_supported_tag() {
        assert_eq!(
            Locale::from_accept_language("en-GB,en;q=0.9"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("de, en;q=0.5, fr;q=0.8"),
            Some(Locale::Fr)
        );
        assert_eq!(Locale::from_accept_language("de-CH"), None);
        assert_eq!(
            Locale::from_accept_language("fr;q=0, en;q=0.1"),
            Some(Locale::En)
        );
    }
}

//! Accounts as stored, and the forms that write them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use secrecy::SecretString;

use crate::config::ConsentVersions;
use crate::db::schema::{consents, email_tokens, users};
use crate::i18n::Label;
use crate::ids::{EmailTokenId, UserId};
use crate::text_enum;

text_enum! {
    /// What a person does for a living; groups and mentors are matched on it.
    pub enum Profession {
        /// Nurse (infirmier·ère).
        Nurse => "NURSE",
        /// Physician (médecin).
        Physician => "PHYSICIAN",
        /// Care aide (aide-soignant·e).
        CareAide => "CARE_AIDE",
        /// Midwife (sage-femme).
        Midwife => "MIDWIFE",
        /// Pharmacist.
        Pharmacist => "PHARMACIST",
        /// Psychologist.
        Psychologist => "PSYCHOLOGIST",
        /// Physiotherapist (masseur-kinésithérapeute).
        Physiotherapist => "PHYSIOTHERAPIST",
        /// Occupational therapist (ergothérapeute).
        OccupationalTherapist => "OCCUPATIONAL_THERAPIST",
        /// Social worker.
        SocialWorker => "SOCIAL_WORKER",
        /// Paramedic or ambulance staff.
        Paramedic => "PARAMEDIC",
        /// Dentist.
        Dentist => "DENTIST",
        /// A student of a health profession.
        Student => "STUDENT",
        /// Administrative staff of a care setting.
        Administrative => "ADMINISTRATIVE",
        /// Another profession.
        Other => "OTHER",
    }
}

impl Profession {
    /// A profession as people say it.
    pub fn label(self) -> Label {
        Label {
            of: "profession",
            value: self.as_str(),
        }
    }
}

text_enum! {
    /// Powers granted by an administrator with `relais grant-role`.
    pub enum Role {
        /// Schedules workshops.
        Organiser => "ORGANISER",
        /// Handles reports and may moderate any group.
        Moderator => "MODERATOR",
        /// Administers the service: roles, matching rounds, everything a moderator does.
        Admin => "ADMIN",
        /// Trained to answer support requests (see "Reaching out").
        PeerSupporter => "PEER_SUPPORTER",
    }
}

text_enum! {
    /// What a one-time token sent by mail proves when it comes back.
    pub enum EmailTokenPurpose {
        ConfirmAddress => "CONFIRM_ADDRESS",
        ResetPassword => "RESET_PASSWORD",
        /// The person may use the token's `new_email` as their address.
        ChangeAddress => "CHANGE_ADDRESS",
    }
}

text_enum! {
    /// What a person may agree to.
    pub enum ConsentPurpose {
        /// The terms of use.
        Terms => "TERMS",
        /// Processing of wellbeing check-ins (health data, GDPR Art. 9).
        HealthData => "HEALTH_DATA",
    }
}

impl ConsentPurpose {
    /// The version of the text people agree to now.
    pub fn current_version(self, versions: &ConsentVersions) -> &str {
        match self {
            Self::Terms => &versions.terms,
            Self::HealthData => &versions.health_data,
        }
    }
}

/// A consent given: to which version of the text, when.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub struct Consent {
    pub user_id: UserId,
    pub purpose: ConsentPurpose,
    pub version: String,
    pub given_at: NaiveDateTime,
}

/// A one-time token's row: its digest only.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = email_tokens)]
pub struct NewEmailToken {
    pub id: EmailTokenId,
    pub user_id: UserId,
    pub purpose: EmailTokenPurpose,
    pub token_hash: String,
    pub new_email: Option<String>,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Bounds on what a person may write about themselves.
pub const DISPLAY_NAME_MAX: usize = 80;
pub const BIO_MAX: usize = 1_000;
pub const REGION_MAX: usize = 80;
pub const WORKPLACE_MAX: usize = 120;
pub const EMAIL_MAX: usize = 254;
pub const LANGUAGES_MAX: usize = 10;
pub const DEFAULT_TIMEZONE: &str = "Europe/Paris";

/// The password hash of an account made through an identity provider, which has no password:
/// no hash matches it, and the queries that read hashes leave it out.
pub const NO_PASSWORD: &str = "";

/// A user row without its secrets.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub profession: Profession,
    pub region: Option<String>,
    pub bio: Option<String>,
    pub locale: String,
    pub timezone: String,
    pub created_at: NaiveDateTime,
    /// The provider that vouched for the profession, if one did.
    pub profession_verified_by: Option<String>,
}

/// A person as others may see them, with their languages.
#[derive(Debug, Clone)]
pub struct Profile {
    pub user: UserRow,
    pub languages: Vec<String>,
}

/// The signed-in person's own account.
#[derive(Debug, Clone)]
pub struct Account {
    pub profile: Profile,
    pub roles: Vec<Role>,
    /// Private, self-declared, shown to its owner only; matching uses verified workplaces only.
    pub workplace: Option<String>,
    /// Whether the person proved the address is theirs.
    pub email_verified: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: UserId,
    pub email: String,
    pub email_normalized: String,
    pub password_hash: String,
    pub display_name: String,
    pub profession: Profession,
    pub region: Option<String>,
    pub bio: Option<String>,
    pub locale: String,
    pub timezone: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Profile fields to change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub profession: Option<Profession>,
    pub region: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub workplace: Option<Option<String>>,
    pub updated_at: Option<NaiveDateTime>,
}

/// A registration as the client sent it, before validation.
#[derive(Debug, Clone)]
pub struct RegistrationForm {
    pub email: String,
    pub password: SecretString,
    pub display_name: String,
    pub profession: Profession,
    pub languages: Option<Vec<String>>,
    pub region: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
}

/// A change of value the client may ask for: keep, clear, or set.
#[derive(Debug, Clone, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

/// A profile update as the client sent it, before validation.
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    pub display_name: Option<String>,
    pub profession: Option<Profession>,
    pub languages: Option<Vec<String>>,
    pub region: Patch<String>,
    pub bio: Patch<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub workplace: Patch<String>,
}

/// What matching weighs about a person, read in one batch for many.
#[derive(Debug, Clone)]
pub struct MatchingFacts {
    pub profession: Profession,
    pub region: Option<String>,
    pub languages: Vec<String>,
    /// A workplace an identity provider vouched for, as `provider:its workplace id`; never the
    /// free-text `workplace`, which anyone may type.
    pub verified_workplace: Option<String>,
}

//! `relais seed --demo`: demo accounts, groups, members and posts, upcoming workshops and their
//! registrations, mentor profiles across professions and areas, through the same services the API uses, so demo data obeys every rule.
//! Running it twice keeps what exists.

use std::collections::HashMap;

use chrono::{Days, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::accounts::model::{Profession, RegistrationForm, Role};
use crate::accounts::service as accounts;
use crate::auth::password::PasswordHasher;
use crate::auth::throttle::{AccountLockout, SignInThrottle};
use crate::auth::{ClientAddress, PasswordGate, Secret, Viewer};
use crate::config::HashCost;
use crate::db::Db;
use crate::error::AppError;
use crate::groups::model::{GroupForm, GroupVisibility, PostForm};
use crate::groups::service as groups;
use crate::i18n::Locale;
use crate::ids::{SessionId, UserId};
use crate::mentorship::model::{MentorProfileForm, MentorshipArea};
use crate::mentorship::service as mentorship;
use crate::workshops::model::{WorkshopForm, WorkshopFormat, WorkshopTechnique};
use crate::workshops::service as workshops;

const DEMO_ACCOUNTS: &str = include_str!("../seeds/demo_accounts.json");
const DEMO_GROUPS: &str = include_str!("../seeds/demo_groups.json");
const DEMO_WORKSHOPS: &str = include_str!("../seeds/demo_workshops.json");
const DEMO_MENTORS: &str = include_str!("../seeds/demo_mentors.json");

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoAccount {
    email: String,
    password: String,
    display_name: String,
    profession: String,
    languages: Vec<String>,
    region: Option<String>,
    locale: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct DemoGroup {
    name: String,
    description: String,
    topic: String,
    visibility: String,
    language: String,
    region: Option<String>,
    professions: Vec<String>,
    facilitator: String,
    members: Vec<String>,
    #[serde(default)]
    pending: Vec<String>,
    posts: Vec<DemoPost>,
}

#[derive(Debug, Deserialize)]
struct DemoPost {
    author: String,
    body: String,
    #[serde(default)]
    anonymous: bool,
    #[serde(default)]
    replies: Vec<DemoPost>,
}

/// A workshop some days from the seeding, at a local time of day.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoWorkshop {
    title: String,
    description: String,
    technique: String,
    format: String,
    language: String,
    region: Option<String>,
    timezone: String,
    starts_in_days: u64,
    local_start: NaiveTime,
    minutes: i64,
    location: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_url: Option<String>,
    materials: Option<String>,
    capacity: i32,
    organiser: String,
    registrants: Vec<String>,
}

impl DemoWorkshop {
    fn into_form(self) -> Result<WorkshopForm, SeedError> {
        let unknown = |what: &str, value: &str| SeedError(format!("unknown {what} {value}"));
        let zone: Tz = self
            .timezone
            .parse()
            .map_err(|_| unknown("timezone", &self.timezone))?;
        let day = Utc::now().with_timezone(&zone).date_naive() + Days::new(self.starts_in_days);
        let starts_at = zone
            .from_local_datetime(&day.and_time(self.local_start))
            .earliest()
            .ok_or_else(|| unknown("local time", &self.local_start.to_string()))?
            .with_timezone(&Utc);
        Ok(WorkshopForm {
            technique: WorkshopTechnique::parse(&self.technique)
                .ok_or_else(|| unknown("technique", &self.technique))?,
            format: WorkshopFormat::parse(&self.format)
                .ok_or_else(|| unknown("format", &self.format))?,
            title: self.title,
            description: self.description,
            language: self.language,
            region: self.region,
            starts_at,
            ends_at: starts_at + TimeDelta::minutes(self.minutes),
            timezone: self.timezone,
            location: self.location,
            latitude: self.latitude,
            longitude: self.longitude,
            online_url: self.online_url,
            materials: self.materials,
            capacity: self.capacity,
            group_id: None,
        })
    }
}

/// A demo account's mentor profile.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoMentor {
    email: String,
    headline: String,
    areas: Vec<String>,
    years_of_experience: i32,
    capacity: i32,
}

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SeedError(String);

impl From<AppError> for SeedError {
    fn from(error: AppError) -> Self {
        SeedError(match error {
            AppError::Internal(cause) => cause.to_string(),
            other => format!("refused: {}", other.code()),
        })
    }
}

fn profession(name: &str) -> Result<Profession, SeedError> {
    Profession::parse(name).ok_or_else(|| SeedError(format!("unknown profession {name}")))
}

/// A viewer for a demo account; seeding needs no session.
fn as_viewer(user_id: &UserId) -> Viewer {
    Viewer {
        user_id: user_id.clone(),
        session_id: SessionId::generate(),
        locale: Locale::default(),
        address_confirmed: true,
        access_expires_at: chrono::Utc::now(),
    }
}

/// Loads the demo data; returns one line per thing created or kept.
pub async fn demo(db: &Db) -> Result<Vec<String>, SeedError> {
    let mut report = Vec::new();
    let accounts_data: Vec<DemoAccount> = serde_json::from_str(DEMO_ACCOUNTS)
        .map_err(|cause| SeedError(format!("seeds/demo_accounts.json: {cause}")))?;
    let groups_data: Vec<DemoGroup> = serde_json::from_str(DEMO_GROUPS)
        .map_err(|cause| SeedError(format!("seeds/demo_groups.json: {cause}")))?;
    let workshops_data: Vec<DemoWorkshop> = serde_json::from_str(DEMO_WORKSHOPS)
        .map_err(|cause| SeedError(format!("seeds/demo_workshops.json: {cause}")))?;
    let mentors_data: Vec<DemoMentor> = serde_json::from_str(DEMO_MENTORS)
        .map_err(|cause| SeedError(format!("seeds/demo_mentors.json: {cause}")))?;
    // Demo sessions are never handed out, so a throw-away key is enough to issue them.
    let secret = Secret::new(crate::auth::secret::random_bytes::<32>().to_vec());
    let gate = PasswordGate {
        hasher: PasswordHasher::new(HashCost::OWASP, PasswordHasher::default_concurrency())?,
        throttle: SignInThrottle::new(std::num::NonZeroU32::MAX),
        lockout: AccountLockout::new(db.clone(), secret.clone()),
    };
    let seeder = ClientAddress(std::net::Ipv6Addr::LOCALHOST.into());

    let mut people: HashMap<String, UserId> = HashMap::new();
    for account in accounts_data {
        let form = RegistrationForm {
            email: account.email.clone(),
            password: account.password.into(),
            display_name: account.display_name,
            profession: profession(&account.profession)?,
            languages: Some(account.languages),
            region: account.region,
            timezone: None,
            locale: Some(account.locale),
        };
        let user_id =
            match accounts::register(db, &secret, &gate, seeder, form, Locale::default()).await {
                Ok(tokens) => {
                    report.push(format!("created account {}", account.email));
                    tokens.user_id
                }
                Err(AppError::Conflict(_)) => {
                    report.push(format!("kept account {}", account.email));
                    accounts::id_by_email(db, &account.email)
                        .await?
                        .ok_or_else(|| SeedError(format!("account {} vanished", account.email)))?
                }
                Err(error) => return Err(error.into()),
            };
        accounts::set_address_confirmed(db, &user_id).await?;
        for role in &account.roles {
            let role =
                Role::parse(role).ok_or_else(|| SeedError(format!("unknown role {role}")))?;
            accounts::grant_role(db, &account.email, role).await?;
        }
        people.insert(account.email, user_id);
    }
    let person = |email: &str| {
        people
            .get(email)
            .map(as_viewer)
            .ok_or_else(|| SeedError(format!("seeds: unknown account {email}")))
    };

    for group in groups_data {
        let facilitator = person(&group.facilitator)?;
        let form = GroupForm {
            name: group.name.clone(),
            description: group.description,
            topic: group.topic,
            visibility: GroupVisibility::parse(&group.visibility)
                .ok_or_else(|| SeedError(format!("unknown visibility {}", group.visibility)))?,
            language: group.language,
            region: group.region,
            professions: group
                .professions
                .iter()
                .map(|name| profession(name))
                .collect::<Result<_, _>>()?,
            verified_only: false,
        };
        let created = match groups::create_group(db, &facilitator, form).await {
            Ok(created) => created,
            Err(AppError::Conflict(_)) => {
                report.push(format!("kept group {}", group.name));
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        let group_id = created.row.id;
        for email in &group.members {
            let member = person(email)?;
            groups::join(db, &member, group_id.clone()).await?;
            groups::approve(db, &facilitator, group_id.clone(), member.user_id).await?;
        }
        for email in &group.pending {
            groups::join(db, &person(email)?, group_id.clone()).await?;
        }
        for post in group.posts {
            let form = PostForm {
                group_id: group_id.clone(),
                body: post.body,
                parent_id: None,
                anonymous: post.anonymous,
            };
            let parent = groups::create_post(db, &person(&post.author)?, form).await?;
            for reply in post.replies {
                let form = PostForm {
                    group_id: group_id.clone(),
                    body: reply.body,
                    parent_id: Some(parent.id.clone()),
                    anonymous: reply.anonymous,
                };
                groups::create_post(db, &person(&reply.author)?, form).await?;
            }
        }
        report.push(format!("created group {}", group.name));
    }

    for demo in workshops_data {
        let organiser = person(&demo.organiser)?;
        if workshops::upcoming_titles(db, &organiser.user_id)
            .await?
            .contains(&demo.title)
        {
            report.push(format!("kept workshop {}", demo.title));
            continue;
        }
        let registrants = demo
            .registrants
            .iter()
            .map(|email| person(email))
            .collect::<Result<Vec<_>, _>>()?;
        let title = demo.title.clone();
        let created = workshops::schedule(db, &organiser, demo.into_form()?).await?;
        for registrant in &registrants {
            workshops::register(db, registrant, created.row.id.clone()).await?;
        }
        report.push(format!("created workshop {title}"));
    }

    for demo in mentors_data {
        let mentor = person(&demo.email)?;
        if mentorship::profile(db, &mentor, mentor.user_id.clone())
            .await?
            .is_some()
        {
            report.push(format!("kept mentor profile {}", demo.email));
            continue;
        }
        let areas = demo
            .areas
            .iter()
            .map(|area| {
                MentorshipArea::parse(area).ok_or_else(|| SeedError(format!("unknown area {area}")))
            })
            .collect::<Result<_, _>>()?;
        let form = MentorProfileForm {
            headline: demo.headline,
            areas,
            years_of_experience: demo.years_of_experience,
            capacity: demo.capacity,
            accepting_mentees: true,
        };
        mentorship::save_profile(db, &mentor, form).await?;
        report.push(format!("created mentor profile {}", demo.email));
    }
    Ok(report)
}

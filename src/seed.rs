//! `relais seed --demo`: demo accounts, groups, members and posts, through the same services
//! the API uses, so demo data obeys every rule. Running it twice keeps what exists.

use std::collections::HashMap;

use serde::Deserialize;

use crate::accounts::model::{Profession, RegistrationForm};
use crate::accounts::service as accounts;
use crate::auth::password::{HashCost, PasswordHasher};
use crate::auth::throttle::SignInThrottle;
use crate::auth::{ClientAddress, PasswordGate, Secret, Viewer};
use crate::db::Db;
use crate::error::AppError;
use crate::groups::model::{GroupForm, GroupVisibility, PostForm};
use crate::groups::service as groups;
use crate::i18n::Locale;
use crate::ids::{SessionId, UserId};

const DEMO_ACCOUNTS: &str = include_str!("../seeds/demo_accounts.json");
const DEMO_GROUPS: &str = include_str!("../seeds/demo_groups.json");

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
        locale: Locale::Fr,
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
    // Demo sessions are never handed out, so a throw-away key is enough to issue them.
    let secret = Secret::new(crate::auth::secret::random_bytes::<32>().to_vec());
    let gate = PasswordGate {
        hasher: PasswordHasher::new(HashCost::OWASP, PasswordHasher::default_concurrency())?,
        throttle: SignInThrottle::new(std::num::NonZeroU32::MAX),
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
        let user_id = match accounts::register(db, &secret, &gate, seeder, form, Locale::Fr).await {
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
        people.insert(account.email, user_id);
    }
    let person = |email: &str| {
        people
            .get(email)
            .map(as_viewer)
            .ok_or_else(|| SeedError(format!("seeds/demo_groups.json: unknown account {email}")))
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
    Ok(report)
}

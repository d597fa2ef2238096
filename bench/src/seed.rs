//! Realistic data, written through the same services the API uses (so it obeys every rule)
//! before the server starts.

use chrono::{TimeDelta, Utc};
use futures_util::StreamExt;
use relais::accounts::model::{ConsentPurpose, Profession, RegistrationForm, Role};
use relais::accounts::service as accounts;
use relais::auth::password::PasswordHasher;
use relais::auth::throttle::{AccountLockout, SignInThrottle};
use relais::auth::{ClientAddress, PasswordGate, Secret, Viewer};
use relais::checkins::instruments::Instrument;
use relais::checkins::model::CheckinForm;
use relais::config::{ConsentVersions, HashCost};
use relais::db::Db;
use relais::groups::model::{GroupForm, GroupVisibility, PostForm};
use relais::groups::service as groups;
use relais::i18n::Locale;
use relais::ids::{GroupId, SessionId, UserId, WorkshopId};
use relais::mentorship::model::{MentorProfileForm, MentorshipArea};
use relais::workshops::model::{WorkshopForm, WorkshopFormat, WorkshopTechnique};
use secrecy::ExposeSecret;

use crate::Scale;

pub const PASSWORD: &str = "a bench password, long enough";

/// People with a phone registered (the recipients of scenario 9's pushes).
pub const DEVICE_OWNERS: usize = 100;

/// Workshops of five seats that scenario 5 fights over.
pub const CONTENDED_WORKSHOPS: usize = 5;
pub const CONTENDED_CAPACITY: i32 = 5;

/// What the scenarios need to know of the seeded data.
pub struct World {
    /// Emails of people who sign in (with [`PASSWORD`]), all members of `busy_group`.
    pub emails: Vec<String>,
    /// Their ids, in the same order.
    pub user_ids: Vec<UserId>,
    /// Access tokens of every seeded person, all members of `busy_group` (issued at seeding,
    /// valid for an hour).
    pub access_tokens: Vec<String>,
    pub busy_group: GroupId,
    pub contended: Vec<WorkshopId>,
}

const PROFESSIONS: [Profession; 6] = [
    Profession::Nurse,
    Profession::Physician,
    Profession::CareAide,
    Profession::Midwife,
    Profession::Pharmacist,
    Profession::Student,
];

const AREAS: [MentorshipArea; 4] = [
    MentorshipArea::BurnoutPrevention,
    MentorshipArea::StressManagement,
    MentorshipArea::NewGraduateTransition,
    MentorshipArea::Leadership,
];

/// Writes at most this many things at once (PostgreSQL takes them in parallel; SQLite one by one).
const WRITERS: usize = 8;

fn viewer(user_id: &UserId) -> Viewer {
    Viewer {
        user_id: user_id.clone(),
        session_id: SessionId::generate(),
        locale: Locale::default(),
        address_confirmed: true,
        access_expires_at: Utc::now(),
    }
}

/// Registers `count` people named `prefix{index}` at `cost`; returns their ids in order.
async fn people(
    db: &Db,
    secret: &Secret,
    cost: HashCost,
    prefix: &str,
    count: usize,
) -> Vec<(UserId, String)> {
    let gate = PasswordGate {
        hasher: PasswordHasher::new(cost, PasswordHasher::default_concurrency()).expect("a hasher"),
        throttle: SignInThrottle::new(std::num::NonZeroU32::MAX),
        lockout: AccountLockout::new(db.clone(), secret.clone()),
    };
    let client = ClientAddress(std::net::Ipv6Addr::LOCALHOST.into());
    let gate = &gate;
    futures_util::stream::iter(0..count)
        .map(|index| async move {
            let form = RegistrationForm {
                email: format!("{prefix}{index}@example.org"),
                password: PASSWORD.into(),
                display_name: format!("{prefix} {index}"),
                profession: PROFESSIONS[index % PROFESSIONS.len()],
                languages: Some(vec!["fr".into()]),
                region: Some("Bretagne".into()),
                timezone: None,
                locale: Some("fr".into()),
            };
            let tokens = accounts::register(db, secret, gate, client, form, Locale::default())
                .await
                .expect("registered");
            // As the app leaves people after onboarding: address confirmed, check-ins agreed to.
            accounts::set_address_confirmed(db, &tokens.user_id)
                .await
                .expect("address confirmed");
            let versions = ConsentVersions::default();
            accounts::give_consent(
                db,
                &viewer(&tokens.user_id),
                &versions,
                ConsentPurpose::HealthData,
                &versions.health_data,
            )
            .await
            .expect("consent given");
            (
                tokens.user_id,
                tokens.access_token.expose_secret().to_owned(),
            )
        })
        .buffered(WRITERS)
        .collect()
        .await
}

pub async fn seed(database_url: &str, scale: Scale) -> World {
    let db = Db::connect(database_url, relais::db::STATEMENT_TIMEOUT_DEFAULT)
        .await
        .expect("the database opens");
    let secret = Secret::new(crate::server::SECRET.as_bytes().to_vec());
    // People who sign in get the real hash; mentors, who only need to be found, a cheap one.
    let (users, access_tokens): (Vec<UserId>, Vec<String>) =
        people(&db, &secret, HashCost::OWASP, "user", scale.users)
            .await
            .into_iter()
            .unzip();
    let cheap = HashCost {
        memory_kib: 64,
        passes: 1,
    };
    let mentors: Vec<UserId> = people(&db, &secret, cheap, "mentor", scale.mentors)
        .await
        .into_iter()
        .map(|(user_id, _)| user_id)
        .collect();

    let mut group_ids = Vec::new();
    for index in 0..scale.groups {
        let form = GroupForm {
            name: format!("Groupe {index}"),
            description: "Un espace pour souffler entre collègues.".into(),
            topic: "burnout".into(),
            visibility: GroupVisibility::Public,
            language: "fr".into(),
            region: Some("Bretagne".into()),
            professions: vec![PROFESSIONS[index % PROFESSIONS.len()]],
            verified_only: false,
        };
        let facilitator = viewer(&users[index % users.len()]);
        let group = groups::create_group(&db, &facilitator, form)
            .await
            .expect("a group");
        group_ids.push(group.row.id);
    }
    // Everyone in the busy group; everyone in two more.
    let memberships: Vec<(usize, GroupId)> = (0..users.len())
        .flat_map(|user| {
            [
                0,
                1 + user % (group_ids.len() - 1),
                1 + (user * 7) % (group_ids.len() - 1),
            ]
            .into_iter()
            .map(move |group| (user, group))
        })
        .map(|(user, group)| (user, group_ids[group].clone()))
        .collect();
    futures_util::stream::iter(memberships)
        .for_each_concurrent(WRITERS, |(user, group)| {
            let db = &db;
            let who = viewer(&users[user]);
            async move {
                // Already a member (the same group twice): nothing to do.
                let _ = groups::join(db, &who, group).await;
            }
        })
        .await;
    // Posts: a fifth in the busy group, the rest spread; each by a member.
    futures_util::stream::iter(0..scale.posts)
        .for_each_concurrent(WRITERS, |index| {
            let (db, users, group_ids) = (&db, &users, &group_ids);
            async move {
                let group = match index % 5 {
                    0 => 0,
                    _ => 1 + index % (group_ids.len() - 1),
                };
                let author = if group == 0 {
                    index % users.len()
                } else {
                    // The facilitator of the group is a member.
                    group
                };
                let form = PostForm {
                    group_id: group_ids[group].clone(),
                    body: format!("Message {index} : une garde difficile, on en parle ?"),
                    parent_id: None,
                    anonymous: index % 7 == 0,
                };
                groups::create_post(db, &viewer(&users[author]), form)
                    .await
                    .expect("a post");
            }
        })
        .await;

    let organiser = "user0@example.org";
    accounts::grant_role(&db, organiser, Role::Organiser)
        .await
        .expect("an organiser");
    let mut contended = Vec::new();
    for index in 0..scale.workshops {
        let starts_at = Utc::now() + TimeDelta::days(2 + (index % 60) as i64);
        let capacity = if index < CONTENDED_WORKSHOPS {
            CONTENDED_CAPACITY
        } else {
            30
        };
        let form = WorkshopForm {
            title: format!("Atelier {index} : respirer en équipe"),
            description: "Cohérence cardiaque et temps d'échange.".into(),
            technique: WorkshopTechnique::Breathing,
            format: WorkshopFormat::Online,
            language: "fr".into(),
            region: None,
            starts_at,
            ends_at: starts_at + TimeDelta::hours(1),
            timezone: "Europe/Paris".into(),
            location: None,
            latitude: None,
            longitude: None,
            online_url: Some("https://visio.example.org/atelier".into()),
            materials: None,
            capacity,
            group_id: None,
        };
        let workshop = relais::workshops::service::schedule(&db, &viewer(&users[0]), form)
            .await
            .expect("a workshop");
        if index < CONTENDED_WORKSHOPS {
            contended.push(workshop.row.id);
        }
    }

    // Scenario 11's crowd: workshops in rooms scattered within about 100 km of Paris.
    futures_util::stream::iter(0..scale.near_workshops)
        .for_each_concurrent(WRITERS, |index| {
            let (db, organiser) = (&db, &users[0]);
            async move {
                let starts_at = Utc::now()
                    + TimeDelta::days(2 + (index % 60) as i64)
                    + TimeDelta::minutes((index % 600) as i64);
                let (latitude, longitude) = around_paris(index);
                let form = WorkshopForm {
                    title: format!("Rencontre {index} : pause entre soignants"),
                    description: "Un moment pour souffler ensemble.".into(),
                    technique: WorkshopTechnique::Networking,
                    format: WorkshopFormat::InPerson,
                    language: "fr".into(),
                    region: None,
                    starts_at,
                    ends_at: starts_at + TimeDelta::hours(1),
                    timezone: "Europe/Paris".into(),
                    location: Some("Salle des familles".into()),
                    latitude: Some(latitude),
                    longitude: Some(longitude),
                    online_url: None,
                    materials: None,
                    capacity: 20,
                    group_id: None,
                };
                relais::workshops::service::schedule(db, &viewer(organiser), form)
                    .await
                    .expect("a workshop near Paris");
            }
        })
        .await;

    futures_util::stream::iter(mentors.iter().enumerate())
        .for_each_concurrent(WRITERS, |(index, mentor)| {
            let db = &db;
            async move {
                let form = MentorProfileForm {
                    headline: format!("Vingt ans de nuits, mentor {index}"),
                    areas: vec![AREAS[index % AREAS.len()], AREAS[(index + 1) % AREAS.len()]],
                    years_of_experience: 2 + (index % 30) as i32,
                    capacity: 1 + (index % 4) as i32,
                    accepting_mentees: true,
                };
                relais::mentorship::service::save_profile(db, &viewer(mentor), form)
                    .await
                    .expect("a mentor profile");
            }
        })
        .await;

    futures_util::stream::iter(0..scale.checkins)
        .for_each_concurrent(WRITERS, |index| {
            let (db, secret, users) = (&db, &secret, &users);
            async move {
                relais::checkins::service::submit(
                    db,
                    secret,
                    &viewer(&users[index % users.len()]),
                    CheckinForm {
                        instrument: Instrument::BurnoutSingleItem,
                        answers: vec![1 + (index % 5) as i32],
                        share_with: Vec::new(),
                    },
                    relais::checkins::release::Periods::new(
                        relais::config::CheckinConfig::DEFAULT.period_weeks,
                    ),
                    &ConsentVersions::default(),
                )
                .await
                .expect("a check-in");
            }
        })
        .await;

    // Devices last, so that seeding queues no pushes.
    for user in users.iter().take(DEVICE_OWNERS) {
        relais::notifications::service::register_device(
            &db,
            &viewer(user),
            format!("device-of-{user}"),
            relais::notifications::model::Platform::Android,
        )
        .await
        .expect("a device");
    }

    // Everyone's next check-in reminder, which the server's sweep schedules for people who have
    // none: done here, so that no scenario runs beside that catch-up's tens of thousands of writes.
    relais::notifications::reminders::sweep(&db, Utc::now())
        .await
        .expect("reminders scheduled");

    World {
        emails: (0..scale.users)
            .map(|index| format!("user{index}@example.org"))
            .collect(),
        user_ids: users.clone(),
        access_tokens,
        busy_group: group_ids[0].clone(),
        contended,
    }
}

/// Where near-me scenario's workshop `index` takes place: spread evenly (a golden-angle
/// spiral) over a disc of about 100 km around Paris.
pub fn around_paris(index: usize) -> (f64, f64) {
    let radius_km = 100.0 * ((index as f64 + 0.5) / 20_000.0).sqrt().min(1.0);
    let angle = index as f64 * 2.399_963;
    let latitude = PARIS.0 + radius_km * angle.sin() / 111.0;
    let longitude = PARIS.1 + radius_km * angle.cos() / (111.0 * PARIS.0.to_radians().cos());
    (latitude, longitude)
}

/// The centre of scenario 11's searches.
pub const PARIS: (f64, f64) = (48.8566, 2.3522);

//! Workshops, registrations and ratings as stored, and the forms that change them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{workshop_ratings, workshop_registrations, workshops};
use crate::ids::{GroupId, RegistrationId, UserId, WorkshopId};
use crate::text_enum;

pub const TITLE_MIN: usize = 3;
pub const TITLE_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 5_000;
pub const LOCATION_MAX: usize = 300;
pub const MATERIALS_MAX: usize = 5_000;
pub const URL_MAX: usize = 2_000;
pub const REGION_MAX: usize = 80;
pub const REASON_MAX: usize = 1_000;
pub const COMMENT_MAX: usize = 1_000;
pub const CAPACITY_MAX: i32 = 1_000;
/// Longest workshop, in hours.
pub const LONGEST_HOURS: i64 = 12;
/// Widest "near me" search, in kilometres.
pub const RADIUS_MAX_KM: f64 = 200.0;
/// Attendance may be recorded from the start until this many days after the end.
pub const ATTENDANCE_DAYS_AFTER: i64 = 7;
/// The organiser reads comments once at least this many people rated, so that none can be tied
/// to one person of a small workshop.
pub const COMMENTS_MIN_RATERS: i64 = crate::privacy::RATINGS_STEP;
/// How many workshops `myAttendedWorkshops` is costed at: a span holds far fewer attended ones.
pub const ATTENDED_COST_ITEMS: usize = 200;

text_enum! {
    /// What a workshop practises.
    pub enum WorkshopTechnique {
        /// Mindfulness.
        Mindfulness => "MINDFULNESS",
        /// Meditation.
        Meditation => "MEDITATION",
        /// Breathing exercises.
        Breathing => "BREATHING",
        /// Relaxation.
        Relaxation => "RELAXATION",
        /// Yoga.
        Yoga => "YOGA",
        /// A peer debrief after hard events.
        PeerDebrief => "PEER_DEBRIEF",
        /// A Balint group.
        BalintGroup => "BALINT_GROUP",
        /// Cognitive behavioural skills.
        CbtSkills => "CBT_SKILLS",
        /// Sleep and shift work.
        SleepHygiene => "SLEEP_HYGIENE",
        /// Creative expression.
        CreativeExpression => "CREATIVE_EXPRESSION",
        /// An interprofessional meetup, often over a meal: meet the colleagues of a territory and
        /// learn each other's roles.
        Networking => "NETWORKING",
        /// Something else.
        Other => "OTHER",
    }
}

text_enum! {
    /// Where a workshop happens.
    pub enum WorkshopFormat {
        /// In a room.
        InPerson => "IN_PERSON",
        /// Online only.
        Online => "ONLINE",
        /// In a room and online.
        Hybrid => "HYBRID",
    }
}

impl WorkshopFormat {
    pub fn meets_in_person(self) -> bool {
        matches!(self, Self::InPerson | Self::Hybrid)
    }

    pub fn meets_online(self) -> bool {
        matches!(self, Self::Online | Self::Hybrid)
    }
}

text_enum! {
    /// Where a workshop stands.
    pub enum WorkshopStatus {
        /// Going ahead.
        Scheduled => "SCHEDULED",
        /// Cancelled; those registered were told.
        Cancelled => "CANCELLED",
    }
}

text_enum! {
    /// Where a registration stands.
    pub enum RegistrationStatus {
        /// A seat.
        Confirmed => "CONFIRMED",
        /// Waiting for a seat; the first in line gets a freed one.
        Waitlisted => "WAITLISTED",
        /// Cancelled by the person, or with the workshop.
        Cancelled => "CANCELLED",
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = workshops, treat_none_as_null = true)]
pub struct WorkshopRow {
    pub id: WorkshopId,
    pub organiser_id: Option<UserId>,
    pub group_id: Option<GroupId>,
    pub title: String,
    pub description: String,
    pub technique: WorkshopTechnique,
    pub format: WorkshopFormat,
    pub language: String,
    pub region: Option<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub timezone: String,
    pub location: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    pub materials: Option<String>,
    pub capacity: i32,
    pub status: WorkshopStatus,
    pub cancel_reason: Option<String>,
    pub next_queue_number: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl WorkshopRow {
    pub fn hours(&self) -> f64 {
        (self.ends_at - self.starts_at).num_minutes() as f64 / 60.0
    }

    pub fn has_started(&self, now: NaiveDateTime) -> bool {
        self.starts_at <= now
    }

    /// The day it starts, where it takes place.
    pub fn local_start_date(&self) -> NaiveDate {
        let starts_at = self.starts_at.and_utc();
        match self.timezone.parse::<chrono_tz::Tz>() {
            Ok(zone) => starts_at.with_timezone(&zone).date_naive(),
            Err(_) => starts_at.date_naive(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = workshop_registrations)]
pub struct RegistrationRow {
    pub id: RegistrationId,
    pub workshop_id: WorkshopId,
    pub user_id: UserId,
    pub status: RegistrationStatus,
    pub queue_number: i64,
    pub attended: Option<bool>,
    pub certificate_code: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = workshop_ratings, treat_none_as_null = true)]
pub struct RatingRow {
    pub workshop_id: WorkshopId,
    pub user_id: UserId,
    pub rating: i32,
    pub comment: Option<String>,
    pub rated_at: NaiveDateTime,
    /// Whether the workshop's shown figures include it: a new or changed rating is not yet.
    pub released: bool,
}

/// A workshop as one viewer sees it, with what its page shows, read in batches for a whole page.
#[derive(Debug, Clone)]
pub struct WorkshopCard {
    pub row: WorkshopRow,
    pub confirmed: i64,
    pub waitlisted: i64,
    pub average_rating: Option<f64>,
    pub ratings: i64,
    /// The viewer's registration, with its waitlist place while waitlisted.
    pub viewer: Option<Registration>,
    /// The organiser or a confirmed attendee: sees the link and the materials.
    pub viewer_is_insider: bool,
    pub viewer_is_organiser: bool,
    /// Kilometres from the point of a "near me" search.
    pub distance_km: Option<f64>,
}

/// A registration with its 1-based place in the waitlist while waitlisted.
#[derive(Debug, Clone)]
pub struct Registration {
    pub row: RegistrationRow,
    pub waitlist_position: Option<i64>,
}

/// What `scheduleWorkshop` and `updateWorkshop` ask for.
#[derive(Debug, Clone)]
pub struct WorkshopForm {
    pub title: String,
    pub description: String,
    pub technique: WorkshopTechnique,
    pub format: WorkshopFormat,
    pub language: String,
    pub region: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub location: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    pub materials: Option<String>,
    pub capacity: i32,
    pub group_id: Option<GroupId>,
}

impl WorkshopForm {
    /// A new scheduled workshop of `organiser` from this form.
    pub fn into_row(
        self,
        id: WorkshopId,
        organiser: Option<UserId>,
        now: NaiveDateTime,
    ) -> WorkshopRow {
        WorkshopRow {
            id,
            organiser_id: organiser,
            group_id: self.group_id,
            title: self.title,
            description: self.description,
            technique: self.technique,
            format: self.format,
            language: self.language,
            region: self.region,
            starts_at: self.starts_at.naive_utc(),
            ends_at: self.ends_at.naive_utc(),
            timezone: self.timezone,
            location: self.location,
            latitude: self.latitude,
            longitude: self.longitude,
            online_url: self.online_url,
            materials: self.materials,
            capacity: self.capacity,
            status: WorkshopStatus::Scheduled,
            cancel_reason: None,
            next_queue_number: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A point and a radius: "near me".
#[derive(Debug, Clone, Copy)]
pub struct Near {
    pub latitude: f64,
    pub longitude: f64,
    pub radius_km: f64,
}

/// What `workshops(filter)` asks for.
#[derive(Debug, Clone, Default)]
pub struct WorkshopSearch {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub technique: Option<WorkshopTechnique>,
    pub language: Option<String>,
    pub group_id: Option<GroupId>,
    pub region: Option<String>,
    pub near: Option<Near>,
}

/// Great-circle distance in kilometres (haversine, mean Earth radius).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6_371.0;
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let d_lat = lat2 - lat1;
    let d_lon = (b.1 - a.1).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_known_city_pairs() {
        let paris = (48.8566, 2.3522);
        let lyon = (45.7640, 4.8357);
        let montreal = (45.5019, -73.5674);
        assert!((distance_km(paris, lyon) - 392.0).abs() < 5.0);
        assert!((distance_km(paris, montreal) - 5_510.0).abs() < 30.0);
        assert_eq!(distance_km(paris, paris), 0.0);
    }
}

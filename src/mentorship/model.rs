//! Mentor profiles, mentorships, goals and feedback as stored, and the forms that change them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::model::MatchingFacts;
use crate::conversations::model::Conversation;
use crate::db::schema::{mentor_profiles, mentorship_feedback, mentorship_goals, mentorships};
use crate::i18n::Label;
use crate::ids::{ConversationId, GoalId, MentorshipId, RoundId, UserId};
use crate::text_enum;

pub const HEADLINE_MIN: usize = 3;
pub const HEADLINE_MAX: usize = 140;
pub const PROFILE_AREAS_MAX: usize = 5;
pub const YEARS_MAX: i32 = 60;
pub const CAPACITY_MAX: i32 = 10;
pub const MESSAGE_MIN: usize = 20;
pub const MESSAGE_MAX: usize = 1_000;
/// Open requests a mentee may have at once.
pub const OPEN_REQUESTS_MAX: i64 = 3;
/// The mentor is reminded of an unanswered request after this many days…
pub const REMIND_AFTER_DAYS: i64 = 5;
/// …and the request expires after this many.
pub const EXPIRE_AFTER_DAYS: i64 = 14;
pub const GOAL_TITLE_MAX: usize = 200;
pub const GOALS_MAX: i64 = 20;
pub const NOTE_MAX: usize = 1_000;
/// Most matches `mentorMatches` returns.
pub const MATCHES_MAX: usize = 50;
pub const MATCHES_DEFAULT: usize = 10;
/// What ranking every open mentor costs a request, besides the matches it lists: a search is the
/// dearest read there is, so a request holds a handful of them at most, not thirty aliases.
pub const SEARCH_COST: usize = 400;

text_enum! {
    /// What mentoring may help with.
    pub enum MentorshipArea {
        /// Preventing burnout.
        BurnoutPrevention => "BURNOUT_PREVENTION",
        /// Managing stress.
        StressManagement => "STRESS_MANAGEMENT",
        /// Balancing work and life.
        WorkLifeBalance => "WORK_LIFE_BALANCE",
        /// Career choices and development.
        CareerDevelopment => "CAREER_DEVELOPMENT",
        /// Clinical practice.
        ClinicalPractice => "CLINICAL_PRACTICE",
        /// Leading a team.
        Leadership => "LEADERSHIP",
        /// Working with other professions.
        InterprofessionalCollaboration => "INTERPROFESSIONAL_COLLABORATION",
        /// The first years after graduating.
        NewGraduateTransition => "NEW_GRADUATE_TRANSITION",
        /// Research.
        Research => "RESEARCH",
        /// Grief and loss at work.
        GriefAndLoss => "GRIEF_AND_LOSS",
    }
}

impl MentorshipArea {
    /// An area as people say it.
    pub fn label(self) -> Label {
        Label {
            of: "area",
            value: self.as_str(),
        }
    }
}

text_enum! {
    /// Where a mentorship stands.
    pub enum MentorshipStatus {
        /// Waiting for the mentor's answer.
        Requested => "REQUESTED",
        /// Accepted: the two have a conversation.
        Active => "ACTIVE",
        /// The mentor declined the request.
        Declined => "DECLINED",
        /// Ended by either person before completion.
        Cancelled => "CANCELLED",
        /// Ended as planned.
        Completed => "COMPLETED",
        /// Left unanswered for 14 days.
        Expired => "EXPIRED",
    }
}

impl MentorshipStatus {
    /// Whether a mentorship may go from this state to `to`.
    pub fn may_become(self, to: MentorshipStatus) -> bool {
        use MentorshipStatus::*;
        matches!(
            (self, to),
            (Requested, Active | Declined | Cancelled | Expired) | (Active, Cancelled | Completed)
        )
    }

    /// Requested or active: what blocks a second request to the same mentor.
    pub fn is_open(self) -> bool {
        matches!(self, MentorshipStatus::Requested | MentorshipStatus::Active)
    }
}

text_enum! {
    /// Which side of a mentorship the viewer is on.
    pub enum MentorshipSide {
        /// The viewer mentors.
        Mentor => "MENTOR",
        /// The viewer is mentored.
        Mentee => "MENTEE",
    }
}

text_enum! {
    /// Why a mentor declined; MENTOR_ON_BREAK is set by Relais when a mentor pauses.
    pub enum DeclineReason {
        /// The mentor has no time for another mentee now.
        NotEnoughTime => "NOT_ENOUGH_TIME",
        /// The request is outside what the mentor knows.
        NotRightExpertise => "NOT_RIGHT_EXPERTISE",
        /// Another mentor would suit the request better.
        AnotherMentorBetter => "ANOTHER_MENTOR_BETTER",
        /// Another reason, not given.
        Other => "OTHER",
        /// The mentor is taking a break.
        MentorOnBreak => "MENTOR_ON_BREAK",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = mentor_profiles)]
pub struct MentorProfileRow {
    pub user_id: UserId,
    pub headline: String,
    pub years_of_experience: i32,
    pub capacity: i32,
    pub accepting_mentees: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl MentorProfileRow {
    /// Capacity 0 or not accepting: never suggested, requests refused.
    pub fn on_break(&self) -> bool {
        self.capacity == 0 || !self.accepting_mentees
    }
}

/// A mentor profile with its areas and load.
#[derive(Debug, Clone)]
pub struct MentorProfile {
    pub row: MentorProfileRow,
    pub areas: Vec<MentorshipArea>,
    pub active_mentees: i64,
    /// Their released average rating by mentees: for themselves only, from three raters on,
    /// moving only once three more rated.
    pub own_average_rating: Option<f64>,
}

impl MentorProfile {
    pub fn free_slots(&self) -> i64 {
        free_slots(self.row.capacity, self.active_mentees)
    }

    /// What this profile adds to a score for someone asking for `areas`.
    pub fn part_for(&self, areas: &[MentorshipArea]) -> ProfilePart {
        ProfilePart::new(
            self.row.years_of_experience,
            self.row.capacity,
            self.active_mentees,
            areas,
            &self.areas,
        )
    }
}

fn free_slots(capacity: i32, active_mentees: i64) -> i64 {
    (i64::from(capacity) - active_mentees).max(0)
}

/// The numbers of a mentor's profile that a score rests on, for one search.
#[derive(Debug, Clone, Copy)]
pub struct ProfilePart {
    pub years_of_experience: i32,
    pub capacity: i32,
    pub active_mentees: i64,
    /// How many of the areas asked for they cover.
    pub shared_areas: i64,
}

impl ProfilePart {
    /// The part of a mentor with these numbers, covering `covered`, for a search asking `asked`.
    fn new(
        years_of_experience: i32,
        capacity: i32,
        active_mentees: i64,
        asked: &[MentorshipArea],
        covered: &[MentorshipArea],
    ) -> Self {
        let shared = asked.iter().filter(|area| covered.contains(area)).count();
        Self {
            years_of_experience,
            capacity,
            active_mentees,
            shared_areas: i64::try_from(shared).unwrap_or(i64::MAX),
        }
    }

    pub fn free_slots(&self) -> i64 {
        free_slots(self.capacity, self.active_mentees)
    }
}

/// A mentor who may be suggested, with everything their score rests on, borrowed from the
/// index of open mentors.
#[derive(Debug, Clone, Copy)]
pub struct OpenMentor<'a> {
    pub user_id: &'a UserId,
    pub profile: ProfilePart,
    pub facts: &'a MatchingFacts,
}

/// The numbers of a mentor taking mentees (full or not), as their profile and mentorships give
/// them.
#[derive(Debug, Clone)]
pub struct MentorNumbers {
    pub user_id: UserId,
    pub years_of_experience: i32,
    pub capacity: i32,
    pub active_mentees: i64,
    pub areas: Vec<MentorshipArea>,
}

/// What a search ranks a mentor by, all of it, so that only the mentors it returns are read
/// whole: their numbers and the facts about them as a person. The index of open mentors keeps
/// these.
#[derive(Debug, Clone)]
pub struct RankedMentor {
    pub numbers: MentorNumbers,
    pub facts: MatchingFacts,
}

impl RankedMentor {
    /// This mentor as a search for `areas` ranks them; `None` when they are full, `excluded`
    /// or share none of the areas.
    pub fn open_for(
        &self,
        areas: &[MentorshipArea],
        excluded: &std::collections::HashSet<UserId>,
    ) -> Option<OpenMentor<'_>> {
        let numbers = &self.numbers;
        let profile = ProfilePart::new(
            numbers.years_of_experience,
            numbers.capacity,
            numbers.active_mentees,
            areas,
            &numbers.areas,
        );
        let open = profile.free_slots() > 0
            && profile.shared_areas > 0
            && !excluded.contains(&numbers.user_id);
        open.then_some(OpenMentor {
            user_id: &numbers.user_id,
            profile,
            facts: &self.facts,
        })
    }
}

/// What `upsertMentorProfile` asks for.
#[derive(Debug, Clone)]
pub struct MentorProfileForm {
    pub headline: String,
    pub areas: Vec<MentorshipArea>,
    pub years_of_experience: i32,
    pub capacity: i32,
    pub accepting_mentees: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentorships)]
pub struct MentorshipRow {
    pub id: MentorshipId,
    pub mentor_id: UserId,
    pub mentee_id: UserId,
    pub status: MentorshipStatus,
    pub message: String,
    pub decline_reason: Option<DeclineReason>,
    pub round_id: Option<RoundId>,
    pub conversation_id: Option<ConversationId>,
    pub created_at: NaiveDateTime,
    pub responded_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
}

impl MentorshipRow {
    /// The other person of the mentorship, seen from `user`.
    pub fn other_than(&self, user: &UserId) -> &UserId {
        if &self.mentor_id == user {
            &self.mentee_id
        } else {
            &self.mentor_id
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mentorship_goals)]
pub struct GoalRow {
    pub id: GoalId,
    pub mentorship_id: MentorshipId,
    pub title: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub done_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = mentorship_feedback)]
pub struct FeedbackRow {
    pub mentorship_id: MentorshipId,
    pub author_id: UserId,
    pub subject_id: UserId,
    pub rating: i32,
    pub note: Option<String>,
    pub created_at: NaiveDateTime,
    /// Whether the mentor's shown rating includes it (only a mentee's feedback counts there).
    pub released: bool,
}

/// A mentorship as one of its two people sees it.
#[derive(Debug, Clone)]
pub struct MentorshipCard {
    pub row: MentorshipRow,
    pub areas: Vec<MentorshipArea>,
    pub conversation: Option<Conversation>,
    pub goals: Vec<GoalRow>,
    /// The feedback the viewer left, with their private note.
    pub viewer_feedback: Option<FeedbackRow>,
}

#[cfg(test)]
mod tests {
    use super::MentorshipStatus::{self, *};

    /// Every pair of states: exactly these moves are allowed, every other is refused.
    #[test]
    fn only_the_lifecycle_moves_are_allowed() {
        let allowed = [
            (Requested, Active),
            (Requested, Declined),
            (Requested, Cancelled),
            (Requested, Expired),
            (Active, Cancelled),
            (Active, Completed),
        ];
        for &from in MentorshipStatus::ALL {
            for &to in MentorshipStatus::ALL {
                assert_eq!(
                    from.may_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
    }
}

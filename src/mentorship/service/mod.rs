//! Mentorship rules: profiles and pauses, ranked matching, the request lifecycle under the two
//! people's locks, reminders and expiry so that nobody waits for ever, goals, feedback, rounds.
//! One module per use case (profiles, search, the request lifecycle, goals and feedback, rounds,
//! personal data); the checks they share stay here.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, TimeDelta, Utc};
use serde_json::json;

use super::matching::{self, Candidate, Scored, Seeker};
use super::model::*;
use super::store;
use crate::accounts::model::{Profession, Role};
use crate::accounts::service::{self as accounts, has_any_role, locale_of};
use crate::auth::Viewer;
use crate::conversations::service as conversations;
use crate::db::atomic::{lock, lock_in_order};
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};
use crate::groups::service::blocked_either_way;
use crate::i18n::{Localized, Message, NotificationText};
use crate::ids::{GoalId, MentorshipId, RoundId, UserId};
use crate::notifications::model::{Notice, NotificationCategory};
use crate::notifications::service::{cancel_scheduled, notify};
use crate::privacy::{Person, PersonColumn, PersonalData, RATINGS_STEP, instant};
use crate::validate;

/// Roles that run matching rounds.
const ROUND_ROLES: [Role; 2] = [Role::Organiser, Role::Admin];
/// Mentors suggested to a mentee whose request expired.
const SUGGESTIONS_ON_EXPIRY: usize = 3;
/// Expired requests handled per transaction batch by the sweep.
const EXPIRY_BATCH: i64 = 50;

mod goals;
mod personal_data;
mod profiles;
mod requests;
mod rounds;
mod search;

pub use goals::{add_goal, leave_feedback, set_goal_done};
pub use personal_data::{MENTORSHIP_DATA, MentorshipData};
use profiles::load_profiles;
pub use profiles::{profile, save_profile};
pub use requests::{cancel, complete, expire_stale_requests, my_mentorships, request, respond};
use requests::{card, insert_request, lock_pair, move_to, own_mentorship, tell, waiting_key};
pub use rounds::{Proposal, RoundOutcome, run_round, seeking, set_seeking};
pub(in crate::mentorship) use search::ranked_mentors;
pub use search::{MatchSearch, matches};
use search::{OpenMentors, best_candidates, excluded_for, ranked_for, seeker};

// ------------------------------------------------------------------ validation

/// 1 to `max` distinct areas, in the order given.
fn valid_areas(
    field: &'static str,
    areas: Vec<MentorshipArea>,
    max: usize,
) -> AppResult<Vec<MentorshipArea>> {
    let mut distinct = Vec::with_capacity(areas.len());
    for area in areas {
        if !distinct.contains(&area) {
            distinct.push(area);
        }
    }
    if distinct.is_empty() || distinct.len() > max {
        return Err(AppError::bad_input(
            field,
            Message::ChooseBetween { min: 1, max },
        ));
    }
    Ok(distinct)
}

fn in_range(field: &'static str, value: i32, max: i32) -> AppResult<i32> {
    if (0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::bad_input(
            field,
            Message::NumberBetween {
                min: 0,
                max: i64::from(max),
            },
        ))
    }
}

//! Finding a mentor: who is left out, the seeker's facts, and the ranked candidates read in
//! batches.

use std::sync::Arc;

use super::*;
use crate::accounts::model::MatchingFacts;
use crate::mentorship::index::MentorIndex;

/// What `mentorMatches` asks for.
#[derive(Debug, Clone)]
pub struct MatchSearch {
    pub areas: Vec<MentorshipArea>,
    pub language: Option<String>,
    pub profession: Option<Profession>,
}

/// Never suggested to `user`: themselves, people they block or who block them, and mentors they
/// already have an open or active mentorship with.
pub(super) fn excluded_for(conn: &mut DbConnection, user: &UserId) -> AppResult<HashSet<UserId>> {
    let mut excluded = blocked_either_way(conn, user)?;
    excluded.insert(user.clone());
    let open = [MentorshipStatus::Requested, MentorshipStatus::Active];
    for mentorship in store::involving(conn, user, &open)? {
        excluded.insert(mentorship.other_than(user).clone());
    }
    Ok(excluded)
}

pub(super) fn seeker(
    conn: &mut DbConnection,
    user: &UserId,
    areas: Vec<MentorshipArea>,
    preferred_profession: Option<Profession>,
) -> AppResult<Seeker> {
    let facts = accounts::matching_facts(conn, std::slice::from_ref(user))?
        .remove(user)
        .ok_or(AppError::NotFound)?;
    let years_of_experience = store::profiles(conn, std::slice::from_ref(user))?
        .pop()
        .map_or(0, |(row, _)| row.years_of_experience);
    Ok(Seeker {
        user_id: user.clone(),
        facts,
        years_of_experience,
        areas,
        preferred_profession,
    })
}

/// How many mentors a search reads whole at a time, at most (a round ranks everyone).
const READ_BATCH: usize = 200;

/// What a search ranks the mentors taking mentees by (`only` these, when given): their numbers
/// and the facts about them as people.
pub(in crate::mentorship) fn ranked_mentors(
    conn: &mut DbConnection,
    only: Option<&[UserId]>,
) -> AppResult<Vec<RankedMentor>> {
    let numbers = store::mentor_numbers(conn, only)?;
    let ids: Vec<UserId> = numbers
        .iter()
        .map(|mentor| mentor.user_id.clone())
        .collect();
    let mut facts = accounts::matching_facts(conn, &ids)?;
    Ok(numbers
        .into_iter()
        .filter_map(|numbers| {
            let facts = facts.remove(&numbers.user_id)?;
            Some(RankedMentor { numbers, facts })
        })
        .collect())
}

/// Where a search finds the open mentors: the index of this process (a request), or the
/// database itself (a write that has changed mentorships in its own transaction, which the index
/// hears of only once it commits).
#[derive(Clone, Copy)]
pub(super) enum OpenMentors<'a> {
    Indexed(&'a MentorIndex),
    Read,
}

/// Mentors `seeker` may be matched with (free, not excluded, not of their workplace, speaking
/// `language` when given), best first, at most `limit`. Everyone is ranked from what the index
/// (or a read of everyone) knows, then read whole in that order only until no one left could
/// still make the list; a mentor read closed, full or changed by then counts as read.
pub(super) fn best_candidates(
    conn: &mut DbConnection,
    seeker: &Seeker,
    language: Option<&str>,
    excluded: &HashSet<UserId>,
    limit: usize,
    from: OpenMentors<'_>,
) -> AppResult<Vec<Scored>> {
    let indexed;
    let read;
    let mentors: Box<dyn Iterator<Item = &RankedMentor>> = match from {
        OpenMentors::Indexed(index) => {
            indexed = index.mentors(conn)?;
            Box::new(indexed.values())
        }
        OpenMentors::Read => {
            read = ranked_mentors(conn, None)?;
            Box::new(read.iter())
        }
    };
    let may_meet = |facts: &MatchingFacts| {
        !matching::same_workplace(&seeker.facts, facts) && matching::speaks(facts, language)
    };
    let open = mentors
        .filter_map(|mentor| mentor.open_for(&seeker.areas, excluded))
        .filter(|mentor| may_meet(mentor.facts))
        .collect();
    let batch = limit.clamp(1, READ_BATCH);
    // The facts about each mentor as a person come from what ranked them (the index, caught up
    // at the start of this search, or this transaction's read), so a batch reads profiles only.
    let ranked = matching::search(seeker, open, limit, batch, |mentors| {
        let ids: Vec<UserId> = mentors
            .iter()
            .map(|mentor| mentor.user_id.clone())
            .collect();
        let facts: HashMap<&UserId, &MatchingFacts> = mentors
            .iter()
            .map(|mentor| (mentor.user_id, mentor.facts))
            .collect();
        let mut candidates = Vec::with_capacity(ids.len());
        for profile in load_profiles(conn, &seeker.user_id, &ids)? {
            if !profile.row.accepting_mentees || profile.free_slots() <= 0 {
                continue;
            }
            let Some(&facts) = facts.get(&profile.row.user_id) else {
                continue;
            };
            candidates.push(Candidate {
                profile,
                facts: facts.clone(),
            });
        }
        Ok::<_, AppError>(candidates)
    })?;
    Ok(ranked)
}

pub(super) fn ranked_for(
    conn: &mut DbConnection,
    user: &UserId,
    search: MatchSearch,
    limit: usize,
    also_excluded: Option<&UserId>,
    from: OpenMentors<'_>,
) -> AppResult<Vec<Scored>> {
    let mut excluded = excluded_for(conn, user)?;
    excluded.extend(also_excluded.cloned());
    let seeker = seeker(conn, user, search.areas, search.profession)?;
    best_candidates(
        conn,
        &seeker,
        search.language.as_deref(),
        &excluded,
        limit,
        from,
    )
}

/// The best mentors for the viewer, best first, each with its score and reasons.
pub async fn matches(
    db: &Db,
    index: &Arc<MentorIndex>,
    viewer: &Viewer,
    search: MatchSearch,
    first: Option<i32>,
) -> AppResult<Vec<Scored>> {
    let areas = valid_areas("areas", search.areas, PROFILE_AREAS_MAX)?;
    let language = search
        .language
        .as_deref()
        .map(|language| validate::language("language", language))
        .transpose()?;
    let limit = match first {
        None => MATCHES_DEFAULT,
        Some(first) => match usize::try_from(first) {
            Ok(first) if (1..=MATCHES_MAX).contains(&first) => first,
            _ => {
                return Err(AppError::bad_input(
                    "first",
                    Message::NumberBetween {
                        min: 1,
                        max: MATCHES_MAX as i64,
                    },
                ));
            }
        },
    };
    let search = MatchSearch {
        areas,
        language,
        profession: search.profession,
    };
    let user_id = viewer.user_id.clone();
    let _turn = index.turn().await?;
    let index = Arc::clone(index);
    db.run(move |conn| {
        ranked_for(
            conn,
            &user_id,
            search,
            limit,
            None,
            OpenMentors::Indexed(&index),
        )
    })
    .await
}

//! Matching rounds: who is seeking, a stable assignment planned over everyone, and its proposals.

use super::*;

/// Opts the viewer in to matching rounds for these areas; no areas opts out.
pub async fn set_seeking(
    db: &Db,
    viewer: &Viewer,
    areas: Vec<MentorshipArea>,
) -> AppResult<Vec<MentorshipArea>> {
    let areas = match areas.is_empty() {
        true => areas,
        false => valid_areas("areas", areas, PROFILE_AREAS_MAX)?,
    };
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        // A double tap replaces the areas one after the other, never both at once.
        lock(conn, &user_id)?;
        store::replace_seeking(conn, &user_id, &areas, Utc::now().naive_utc())?;
        Ok(areas)
    })
    .await
}

pub async fn seeking(db: &Db, viewer: &Viewer) -> AppResult<Vec<MentorshipArea>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| Ok(store::seeking_of(conn, &user_id)?))
        .await
}

/// A pair a round proposes, with the mentee's score for the mentor.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub mentee: UserId,
    pub mentor: UserId,
    pub score: f64,
}

/// What a round did or would do.
#[derive(Debug, Clone)]
pub struct RoundOutcome {
    /// `None` for a dry run.
    pub round_id: Option<RoundId>,
    pub proposals: Vec<Proposal>,
    /// Opted-in mentees the round found nobody for.
    pub unmatched: Vec<UserId>,
}

/// Assigns opted-in mentees to mentors with free slots by deferred acceptance (stable, within
/// capacities, languages, workplaces and blocks). A dry run only says what it would do; a real
/// one creates the requests and tells both sides. ORGANISER or ADMIN.
///
/// The plan is made in a read, outside any write transaction; each proposal is then applied in
/// a short transaction of its own that locks just its two people, in id order, and checks again
/// what the plan assumed: a mentor answering a request meanwhile waits a moment at most, never
/// deadlocks, and a proposal the world has overtaken is skipped (its mentee reported unmatched).
pub async fn run_round(db: &Db, viewer: &Viewer, dry_run: bool) -> AppResult<RoundOutcome> {
    let organiser = viewer.user_id.clone();
    let planned = db
        .run(move |conn| {
            if !has_any_role(conn, &organiser, &ROUND_ROLES)? {
                return Err(AppError::Forbidden);
            }
            plan_round(conn)
        })
        .await?;
    if dry_run {
        return Ok(planned);
    }
    let round_id = RoundId::generate();
    let mut made = Vec::new();
    let mut unmatched = planned.unmatched;
    for proposal in planned.proposals {
        let (applied, round) = (proposal.clone(), round_id.clone());
        let outcome = db
            .write(move |conn| apply_proposal(conn, &applied, &round))
            .await;
        match outcome {
            Ok(()) => made.push(proposal),
            // Changed since the plan (a slot taken, a request made meanwhile): skipped.
            Err(AppError::Conflict(_) | AppError::NotFound) => unmatched.push(proposal.mentee),
            Err(other) => return Err(other),
        }
    }
    unmatched.sort();
    Ok(RoundOutcome {
        round_id: Some(round_id),
        proposals: made,
        unmatched,
    })
}

/// Makes one proposal of a round a request, worded in the mentor's language, and tells both.
fn apply_proposal(conn: &mut DbConnection, proposal: &Proposal, round: &RoundId) -> AppResult<()> {
    lock_pair(conn, &proposal.mentee, &proposal.mentor)?;
    let areas = store::seeking_of(conn, &proposal.mentee)?;
    let message = Message::RoundProposal.render(locale_of(conn, &proposal.mentor)?);
    let row = insert_request(
        conn,
        &proposal.mentee,
        &proposal.mentor,
        &areas,
        message,
        Some(round),
        Utc::now().naive_utc(),
    )?;
    tell(
        conn,
        &proposal.mentee,
        &row.id,
        NotificationText::RoundMentorFound,
        Some(&proposal.mentor),
    )
}

/// The stable assignment of the current opt-ins, without writing anything.
fn plan_round(conn: &mut DbConnection) -> AppResult<RoundOutcome> {
    let mut seekers: Vec<(UserId, Vec<MentorshipArea>)> =
        store::seekers(conn)?.into_iter().collect();
    seekers.sort_by(|a, b| a.0.cmp(&b.0));
    let mut preferences: HashMap<UserId, Vec<UserId>> = HashMap::new();
    let mut scores: HashMap<(UserId, UserId), f64> = HashMap::new();
    let mut capacity: HashMap<UserId, usize> = HashMap::new();
    let mut unmatched = Vec::new();
    for (mentee, areas) in seekers {
        let open = store::involving(
            conn,
            &mentee,
            &[MentorshipStatus::Requested, MentorshipStatus::Active],
        )?;
        let has_mentor = open
            .iter()
            .any(|row| row.mentee_id == mentee && row.status == MentorshipStatus::Active);
        let requests = open
            .iter()
            .filter(|row| row.mentee_id == mentee && row.status == MentorshipStatus::Requested)
            .count();
        // Someone who could not take another request holds no mentor's slot in the plan.
        if has_mentor || requests as i64 >= OPEN_REQUESTS_MAX {
            continue;
        }
        let seeker = seeker(conn, &mentee, areas, None)?;
        let excluded = excluded_for(conn, &mentee)?;
        // A round pairs people who can talk: at least one shared language.
        let ranked: Vec<Scored> = best_candidates(
            conn,
            &seeker,
            None,
            &excluded,
            usize::MAX,
            OpenMentors::Read,
        )?
        .into_iter()
        .filter(|scored| {
            scored
                .candidate
                .facts
                .languages
                .iter()
                .any(|language| seeker.facts.languages.contains(language))
        })
        .collect();
        let mut choices = Vec::with_capacity(ranked.len());
        for scored in ranked {
            let mentor = scored.candidate.profile.row.user_id.clone();
            capacity.insert(
                mentor.clone(),
                scored.candidate.profile.free_slots() as usize,
            );
            scores.insert((mentee.clone(), mentor.clone()), scored.score);
            choices.push(mentor);
        }
        if choices.is_empty() {
            unmatched.push(mentee);
        } else {
            preferences.insert(mentee, choices);
        }
    }
    // Requests mentors have not answered yet will take slots too if accepted.
    let mentors: Vec<UserId> = capacity.keys().cloned().collect();
    for (mentor, requested) in store::requests_awaiting(conn, &mentors)? {
        if let Some(free) = capacity.get_mut(&mentor) {
            *free = free.saturating_sub(usize::try_from(requested).unwrap_or(usize::MAX));
        }
    }
    let mentor_rank = |mentor: &UserId, mentee: &UserId| {
        scores
            .get(&(mentee.clone(), mentor.clone()))
            .copied()
            .unwrap_or(0.0)
    };
    let assignment = matching::stable_assignment(&preferences, mentor_rank, &capacity);
    let mut proposals: Vec<Proposal> = assignment
        .into_iter()
        .map(|(mentee, mentor)| Proposal {
            score: mentor_rank(&mentor, &mentee),
            mentee,
            mentor,
        })
        .collect();
    proposals.sort_by(|a, b| a.mentee.cmp(&b.mentee));
    let matched: HashSet<&UserId> = proposals.iter().map(|proposal| &proposal.mentee).collect();
    unmatched.extend(
        preferences
            .keys()
            .filter(|mentee| !matched.contains(mentee))
            .cloned(),
    );
    unmatched.sort();
    Ok(RoundOutcome {
        round_id: None,
        proposals,
        unmatched,
    })
}

//! Ranked matching of mentees to mentors, and the stable assignment of matching rounds. Pure
//! functions over what the service read: the same inputs always give the same ranking.
//!
//! | term | weight | value in [0, 1] |
//! |---|---|---|
//! | areas | 0.40 | share of the areas asked for that the mentor covers |
//! | profession | 0.15 | 1 when the mentor's profession is the one preferred (else the mentee's own) |
//! | languages | 0.10 | 1 when they share a language |
//! | region | 0.10 | 1 when they are in the same region |
//! | experience | 0.10 | the mentor's lead in years of experience over the mentee, up to 10 years |
//! | load | 0.15 | the mentor's free share of capacity: spreads mentees over mentors |

use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};

use crate::accounts::model::{MatchingFacts, Profession};
use crate::i18n::{self, FluentArgs, Locale, Localized};
use crate::ids::UserId;

use super::model::{MentorProfile, MentorshipArea, OpenMentor, ProfilePart};

pub const WEIGHT_AREAS: f64 = 0.40;
pub const WEIGHT_PROFESSION: f64 = 0.15;
pub const WEIGHT_LANGUAGES: f64 = 0.10;
pub const WEIGHT_REGION: f64 = 0.10;
pub const WEIGHT_EXPERIENCE: f64 = 0.10;
pub const WEIGHT_LOAD: f64 = 0.15;
/// Years of lead over the mentee beyond which experience adds nothing more.
const EXPERIENCE_LEAD_FULL: f64 = 10.0;

/// Who looks for a mentor, and for what.
#[derive(Debug, Clone)]
pub struct Seeker {
    pub user_id: UserId,
    pub facts: MatchingFacts,
    /// Their own years of experience, when they have a mentor profile.
    pub years_of_experience: i32,
    pub areas: Vec<MentorshipArea>,
    pub preferred_profession: Option<Profession>,
}

/// A mentor who may be suggested.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub profile: MentorProfile,
    pub facts: MatchingFacts,
}

/// A candidate with their score and what it rests on.
#[derive(Debug, Clone)]
pub struct Scored {
    pub candidate: Candidate,
    pub score: f64,
    shared_areas: Vec<MentorshipArea>,
    same_profession: Option<Profession>,
    shared_language: Option<String>,
    same_region: Option<String>,
}

/// The same text but for case and surrounding spaces. A search compares the seeker's region
/// with every open mentor's, mostly the same bytes or ASCII: those are compared as bytes, the
/// rest character by character, without allocating.
fn same_text(a: Option<&str>, b: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// The part of the score the mentor's profile decides (areas, experience, load).
fn profile_score(seeker: &Seeker, profile: &ProfilePart) -> f64 {
    let areas = match seeker.areas.len() {
        0 => 0.0,
        asked => (profile.shared_areas as f64 / asked as f64).min(1.0),
    };
    let lead = f64::from(profile.years_of_experience - seeker.years_of_experience);
    let experience = (lead / EXPERIENCE_LEAD_FULL).clamp(0.0, 1.0);
    let load = match profile.capacity {
        0 => 0.0,
        capacity => profile.free_slots() as f64 / f64::from(capacity),
    };
    WEIGHT_AREAS * areas + WEIGHT_EXPERIENCE * experience + WEIGHT_LOAD * load
}

/// What the seeker and a mentor have in common as people.
struct Shared<'a> {
    profession: Option<Profession>,
    language: Option<&'a String>,
    region: Option<&'a String>,
}

impl<'a> Shared<'a> {
    fn between(seeker: &'a Seeker, mentor: &'a MatchingFacts) -> Self {
        let wanted = seeker
            .preferred_profession
            .unwrap_or(seeker.facts.profession);
        let region = mentor
            .region
            .as_ref()
            .filter(|region| same_text(seeker.facts.region.as_deref(), Some(region.as_str())));
        Self {
            profession: (mentor.profession == wanted).then_some(wanted),
            language: seeker
                .facts
                .languages
                .iter()
                .find(|language| mentor.languages.contains(language)),
            region,
        }
    }

    fn weight(&self) -> f64 {
        let indicator = |present: bool| if present { 1.0 } else { 0.0 };
        WEIGHT_PROFESSION * indicator(self.profession.is_some())
            + WEIGHT_LANGUAGES * indicator(self.language.is_some())
            + WEIGHT_REGION * indicator(self.region.is_some())
    }
}

/// A score in [0, 1] from its two parts.
fn total(seeker: &Seeker, profile: &ProfilePart, shared: &Shared<'_>) -> f64 {
    (profile_score(seeker, profile) + shared.weight()).clamp(0.0, 1.0)
}

/// The score of an open mentor, from what the index of open mentors knows: the score
/// [`score`] gives once their profile and facts are read, when nothing changed in between.
pub fn open_mentor_score(seeker: &Seeker, mentor: &OpenMentor<'_>) -> f64 {
    total(
        seeker,
        &mentor.profile,
        &Shared::between(seeker, mentor.facts),
    )
}

/// The score of `candidate` for `seeker`, in [0, 1].
pub fn score(seeker: &Seeker, candidate: Candidate) -> Scored {
    let profile = &candidate.profile;
    let shared_areas: Vec<MentorshipArea> = seeker
        .areas
        .iter()
        .copied()
        .filter(|area| profile.areas.contains(area))
        .collect();
    let shared = Shared::between(seeker, &candidate.facts);
    let score = total(seeker, &profile.part_for(&seeker.areas), &shared);
    let same_profession = shared.profession;
    let shared_language = shared.language.cloned();
    let same_region = shared.region.cloned();
    Scored {
        candidate,
        score,
        shared_areas,
        same_profession,
        shared_language,
        same_region,
    }
}

/// Best first; equal scores in mentor id order.
fn by_rank(a: &Scored, b: &Scored) -> Ordering {
    b.score.total_cmp(&a.score).then_with(|| {
        a.candidate
            .profile
            .row
            .user_id
            .cmp(&b.candidate.profile.row.user_id)
    })
}

/// The `limit` best candidates for `seeker`.
pub fn rank(seeker: &Seeker, candidates: Vec<Candidate>, limit: usize) -> Vec<Scored> {
    let mut scored: Vec<Scored> = candidates
        .into_iter()
        .map(|candidate| score(seeker, candidate))
        .collect();
    scored.sort_by(by_rank);
    scored.truncate(limit);
    scored
}

/// The `limit` best of `open` for `seeker`, reading them (`read`: the candidates these mentors
/// make, their profiles fresh, leaving out whoever may not be suggested) `batch` at a time in the
/// order of what the index knows of them, and only while someone not read yet could still make
/// the list: the same list as ranking everyone, at the cost of reading the first batch or so.
pub fn search<'m, E>(
    seeker: &Seeker,
    open: Vec<OpenMentor<'m>>,
    limit: usize,
    batch: usize,
    mut read: impl FnMut(&[&OpenMentor<'m>]) -> Result<Vec<Candidate>, E>,
) -> Result<Vec<Scored>, E> {
    let mut open: Vec<(f64, OpenMentor<'m>)> = open
        .into_iter()
        .map(|mentor| (open_mentor_score(seeker, &mentor), mentor))
        .collect();
    let order = |a: &(f64, OpenMentor<'_>), b: &(f64, OpenMentor<'_>)| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.user_id.cmp(b.1.user_id))
    };
    let batch = batch.max(1);
    let mut best = Best::new(limit);
    let mut start = 0;
    while start < open.len() {
        let end = (start + batch).min(open.len());
        // A search mostly reads its first batch only: that batch is picked out (in linear
        // time) and put in order; the rest is put in order only once a second batch is read,
        // the best of it found in linear time to decide.
        if start == 0 {
            if open.len() > end {
                open.select_nth_unstable_by(end - 1, order);
            }
            open[..end].sort_by(order);
        } else if start == batch {
            let best_of_rest = open[start..].iter().min_by(|a, b| order(a, b));
            if best_of_rest
                .is_none_or(|(best_left, first)| !best.could_take(*best_left, first.user_id))
            {
                break;
            }
            open[start..].sort_by(order);
        }
        let chunk = &open[start..end];
        let (best_left, first) = &chunk[0];
        if !best.could_take(*best_left, first.user_id) {
            break;
        }
        let mentors: Vec<&OpenMentor<'m>> = chunk.iter().map(|(_, mentor)| mentor).collect();
        for candidate in read(&mentors)? {
            best.offer(score(seeker, candidate));
        }
        start = end;
    }
    Ok(best.into_ranked())
}

/// The best candidates seen so far, at most `limit` in the end. Offers are gathered and sorted
/// in batches, so that a large `limit` (a round ranks everyone) costs one sort.
pub struct Best {
    limit: usize,
    kept: Vec<Scored>,
}

impl Best {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            kept: Vec::new(),
        }
    }

    pub fn offer(&mut self, scored: Scored) {
        self.kept.push(scored);
        if self.kept.len() >= self.limit.saturating_mul(2) {
            self.settle();
        }
    }

    fn settle(&mut self) {
        self.kept.sort_by(by_rank);
        self.kept.truncate(self.limit);
    }

    /// Whether someone not read yet could still make the list, when the best of them scores
    /// `best_left` and, among those with that score, the first by id is `first_id` (the order
    /// a search reads mentors in). An equal score makes the list only with an id that breaks
    /// the tie its way.
    pub fn could_take(&mut self, best_left: f64, first_id: &UserId) -> bool {
        if self.kept.len() < self.limit {
            return true;
        }
        self.settle();
        self.kept.last().is_none_or(|last| {
            best_left > last.score
                || (best_left == last.score && *first_id < last.candidate.profile.row.user_id)
        })
    }

    pub fn into_ranked(mut self) -> Vec<Scored> {
        self.settle();
        self.kept
    }
}

/// A reason a mentor was suggested.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchReason {
    AreasInCommon(Vec<MentorshipArea>),
    SameProfession(Profession),
    Speaks(String),
    SameRegion(String),
    Experience(i32),
    FreeSlots(i64),
}

impl Localized for MatchReason {
    fn fluent_id(&self) -> String {
        match self {
            Self::AreasInCommon(_) => "match-areas-in-common",
            Self::SameProfession(_) => "match-same-profession",
            Self::Speaks(_) => "match-speaks",
            Self::SameRegion(_) => "match-same-region",
            Self::Experience(_) => "match-experience",
            Self::FreeSlots(_) => "match-free-slots",
        }
        .to_owned()
    }

    fn fluent_args(&self, locale: Locale) -> FluentArgs<'_> {
        let mut args = FluentArgs::new();
        match self {
            Self::AreasInCommon(areas) => {
                let names: Vec<String> = areas
                    .iter()
                    .map(|area| area.label().render(locale))
                    .collect();
                args.set("count", areas.len());
                args.set("areas", names.join(", "));
            }
            Self::SameProfession(profession) => {
                args.set("profession", profession.label().render(locale))
            }
            Self::Speaks(language) => args.set("language", i18n::language_name(language, locale)),
            Self::SameRegion(region) => args.set("region", region.as_str()),
            Self::Experience(years) => args.set("years", *years),
            Self::FreeSlots(slots) => args.set("slots", *slots),
        }
        args
    }
}

impl Scored {
    /// Why this mentor was suggested, in `locale`.
    pub fn reasons(&self, locale: Locale) -> Vec<String> {
        let profile = &self.candidate.profile;
        let mut reasons = Vec::new();
        if !self.shared_areas.is_empty() {
            reasons.push(MatchReason::AreasInCommon(self.shared_areas.clone()));
        }
        if let Some(profession) = self.same_profession {
            reasons.push(MatchReason::SameProfession(profession));
        }
        if let Some(language) = &self.shared_language {
            reasons.push(MatchReason::Speaks(language.clone()));
        }
        if let Some(region) = &self.same_region {
            reasons.push(MatchReason::SameRegion(region.clone()));
        }
        if profile.row.years_of_experience > 0 {
            reasons.push(MatchReason::Experience(profile.row.years_of_experience));
        }
        reasons.push(MatchReason::FreeSlots(profile.free_slots()));
        reasons
            .into_iter()
            .map(|reason| reason.render(locale))
            .collect()
    }
}

// ------------------------------------------------------------------ rounds

/// Mentee-proposing deferred acceptance: each mentee proposes to mentors in their order of
/// preference; each mentor keeps the best proposals up to their capacity and releases the rest,
/// who propose further. The result is stable: no mentee and mentor both prefer each other to
/// what they got.
///
/// `preferences[mentee]` lists acceptable mentors best first; `mentor_rank(mentor, mentee)` is
/// the mentor's view (higher is better; ties by mentee id); `capacity[mentor]` the free slots.
pub fn stable_assignment(
    preferences: &HashMap<UserId, Vec<UserId>>,
    mentor_rank: impl Fn(&UserId, &UserId) -> f64,
    capacity: &HashMap<UserId, usize>,
) -> HashMap<UserId, UserId> {
    let mut next_choice: HashMap<&UserId, usize> = HashMap::new();
    let mut held: HashMap<&UserId, Vec<&UserId>> = HashMap::new();
    let mut mentees: Vec<&UserId> = preferences.keys().collect();
    mentees.sort();
    let mut free: VecDeque<&UserId> = mentees.into_iter().collect();
    let prefers =
        |mentor: &UserId, a: &UserId, b: &UserId| mentor_order(&mentor_rank, mentor, a, b);
    while let Some(mentee) = free.pop_front() {
        let choices = &preferences[mentee];
        let index = next_choice.entry(mentee).or_insert(0);
        let Some(mentor) = choices.get(*index) else {
            continue; // nobody left to propose to
        };
        *index += 1;
        let slots = capacity.get(mentor).copied().unwrap_or(0);
        if slots == 0 {
            free.push_back(mentee);
            continue;
        }
        let holding = held.entry(mentor).or_default();
        holding.push(mentee);
        if holding.len() > slots {
            // Release the one the mentor likes least.
            holding.sort_by(|a, b| prefers(mentor, b, a));
            if let Some(released) = holding.pop() {
                free.push_back(released);
            }
        }
    }
    held.into_iter()
        .flat_map(|(mentor, mentees)| {
            mentees
                .into_iter()
                .map(move |mentee| (mentee.clone(), mentor.clone()))
        })
        .collect()
}

/// How `mentor` compares mentees `a` and `b` (greater is preferred): by rank, then the lower id.
fn mentor_order(
    mentor_rank: &impl Fn(&UserId, &UserId) -> f64,
    mentor: &UserId,
    a: &UserId,
    b: &UserId,
) -> Ordering {
    mentor_rank(mentor, a)
        .total_cmp(&mentor_rank(mentor, b))
        .then_with(|| b.cmp(a))
}

/// Pairs that would both rather be together than with what they got (empty when stable).
pub fn blocking_pairs(
    preferences: &HashMap<UserId, Vec<UserId>>,
    mentor_rank: impl Fn(&UserId, &UserId) -> f64,
    capacity: &HashMap<UserId, usize>,
    assignment: &HashMap<UserId, UserId>,
) -> Vec<(UserId, UserId)> {
    let mut assigned_to: HashMap<&UserId, Vec<&UserId>> = HashMap::new();
    for (mentee, mentor) in assignment {
        assigned_to.entry(mentor).or_default().push(mentee);
    }
    let mut blocking = Vec::new();
    for (mentee, choices) in preferences {
        let current = assignment.get(mentee);
        for mentor in choices {
            if Some(mentor) == current {
                break; // every mentor after this one the mentee likes less
            }
            let taken = assigned_to.get(mentor).map(Vec::as_slice).unwrap_or(&[]);
            let slots = capacity.get(mentor).copied().unwrap_or(0);
            let would_take = taken.len() < slots
                || taken.iter().any(|other| {
                    mentor_order(&mentor_rank, mentor, mentee, other) == Ordering::Greater
                });
            if slots > 0 && would_take {
                blocking.push((mentee.clone(), mentor.clone()));
            }
        }
    }
    blocking
}

/// Whether two people work at the same place, as verified in the same way: they are never
/// matched. A self-declared workplace plays no part, so that typing one never changes whom a
/// person is shown.
pub fn same_workplace(seeker: &MatchingFacts, candidate: &MatchingFacts) -> bool {
    matches!(
        (&seeker.verified_workplace, &candidate.verified_workplace),
        (Some(a), Some(b)) if a == b
    )
}

/// Whether the mentor speaks `language`, when one was asked for.
pub fn speaks(candidate: &MatchingFacts, language: Option<&str>) -> bool {
    match language {
        Some(language) => candidate.languages.iter().any(|spoken| spoken == language),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};

    use super::*;

    #[test]
    fn regions_are_the_same_but_for_case_and_surrounding_spaces() {
        for (a, b) in [
            ("Bretagne", "Bretagne"),
            ("Bretagne", " bretagne "),
            ("Île-de-France", "île-de-france"),
            ("QUÉBEC", "Québec"),
        ] {
            assert!(same_text(Some(a), Some(b)), "{a} = {b}");
            assert!(same_text(Some(b), Some(a)), "{b} = {a}");
        }
        for (a, b) in [
            (Some("Bretagne"), Some("Bretagne-Sud")),
            (Some("Île-de-France"), Some("Ile-de-France")),
            (Some("Québec"), Some("Bretagne")),
            (Some("Bretagne"), None),
            (None, None),
        ] {
            assert!(!same_text(a, b), "{a:?} ≠ {b:?}");
        }
    }

    #[test]
    fn every_reason_and_label_reads_in_every_language() {
        for locale in Locale::all() {
            let labels = Profession::ALL
                .iter()
                .map(|profession| profession.label())
                .chain(MentorshipArea::ALL.iter().map(|area| area.label()));
            for label in labels {
                let text = label.render(locale);
                assert!(!text.is_empty() && !text.ends_with("-label"), "{text}");
            }
            let reasons = [
                MatchReason::AreasInCommon(vec![MentorshipArea::Leadership]),
                MatchReason::AreasInCommon(MentorshipArea::ALL[..2].to_vec()),
                MatchReason::SameProfession(Profession::Midwife),
                MatchReason::Speaks("ar".into()),
                MatchReason::SameRegion("Bretagne".into()),
                MatchReason::Experience(1),
                MatchReason::Experience(12),
                MatchReason::FreeSlots(1),
                MatchReason::FreeSlots(2),
            ];
            for reason in &reasons {
                let text = reason.render(locale);
                assert!(!text.starts_with("match-"), "{locale:?}: {text}");
            }
        }
        let french = Locale::default();
        assert_eq!(
            MatchReason::AreasInCommon(MentorshipArea::ALL[..2].to_vec()).render(french),
            "2 domaines en commun : prévention de l'épuisement, gestion du stress"
        );
        assert_eq!(
            MatchReason::SameProfession(Profession::CareAide).render(french),
            "Même profession : aide-soignant·e"
        );
        assert_eq!(
            MatchReason::Experience(1).render(french),
            "1 an d'expérience"
        );
        assert_eq!(
            MatchReason::Speaks("ar".into()).render(french),
            "Parle arabe"
        );
    }

    fn ids(prefix: &str, count: usize) -> Vec<UserId> {
        (0..count)
            .map(|n| UserId::from_client(format!("{prefix}-{n:03}")))
            .collect()
    }

    /// Random markets from a fixed seed: the assignment is stable, within capacities, and only
    /// pairs acceptable to the mentee.
    #[test]
    fn deferred_acceptance_is_stable_and_respects_capacities() {
        let mut rng = StdRng::seed_from_u64(20_261_125);
        for _ in 0..200 {
            let mentees = ids("mentee", rng.gen_range(1..40));
            let mentors = ids("mentor", rng.gen_range(1..12));
            let capacity: HashMap<UserId, usize> = mentors
                .iter()
                .map(|mentor| (mentor.clone(), rng.gen_range(0..4)))
                .collect();
            let mut scores: HashMap<(UserId, UserId), f64> = HashMap::new();
            let mut preferences: HashMap<UserId, Vec<UserId>> = HashMap::new();
            for mentee in &mentees {
                let mut acceptable: Vec<UserId> = mentors
                    .iter()
                    .filter(|_| rng.gen_bool(0.7))
                    .cloned()
                    .collect();
                acceptable.shuffle(&mut rng);
                for mentor in &acceptable {
                    // Coarse scores, so that ties happen and their rule is exercised.
                    let score = f64::from(rng.gen_range(0..5u8)) / 4.0;
                    scores.insert((mentee.clone(), mentor.clone()), score);
                }
                preferences.insert(mentee.clone(), acceptable);
            }
            let rank = |mentor: &UserId, mentee: &UserId| {
                scores
                    .get(&(mentee.clone(), mentor.clone()))
                    .copied()
                    .unwrap_or(0.0)
            };
            let assignment = stable_assignment(&preferences, rank, &capacity);
            for (mentee, mentor) in &assignment {
                assert!(preferences[mentee].contains(mentor));
            }
            for mentor in &mentors {
                let taken = assignment.values().filter(|got| *got == mentor).count();
                assert!(taken <= capacity[mentor], "{mentor} over capacity");
            }
            assert_eq!(
                blocking_pairs(&preferences, rank, &capacity, &assignment),
                Vec::<(UserId, UserId)>::new()
            );
            // Deterministic: the same market gives the same assignment.
            assert_eq!(stable_assignment(&preferences, rank, &capacity), assignment);
        }
    }

    /// Reading mentors in batches and stopping early gives the list ranking everyone gives, ties
    /// included: coarse values make many equal scores, and small batches many stops.
    #[test]
    fn a_search_finds_what_ranking_everyone_finds() {
        use crate::accounts::model::{MatchingFacts, Profession};
        use crate::mentorship::model::MentorProfileRow;
        let mut rng = StdRng::seed_from_u64(11);
        let mut stopped_early = 0;
        for round in 0..300 {
            let seeker = Seeker {
                user_id: UserId::from_client("seeker"),
                facts: MatchingFacts {
                    profession: Profession::Nurse,
                    region: Some("Bretagne".into()),
                    languages: vec!["fr".into()],
                    verified_workplace: None,
                },
                years_of_experience: rng.gen_range(0..10),
                areas: MentorshipArea::ALL[..rng.gen_range(1..=3)].to_vec(),
                preferred_profession: None,
            };
            let now = chrono::Utc::now().naive_utc();
            let candidates: Vec<Candidate> = (0..rng.gen_range(0..60))
                .map(|n| {
                    let capacity = rng.gen_range(1..=2);
                    let covered = rng.gen_range(1..=seeker.areas.len());
                    Candidate {
                        profile: MentorProfile {
                            row: MentorProfileRow {
                                user_id: UserId::from_client(format!("mentor-{round}-{n:02}")),
                                headline: "Mentor".into(),
                                years_of_experience: 10 * rng.gen_range(0..3),
                                capacity,
                                accepting_mentees: true,
                                created_at: now,
                                updated_at: now,
                            },
                            areas: seeker.areas[..covered].to_vec(),
                            active_mentees: rng.gen_range(0..i64::from(capacity)),
                            own_average_rating: None,
                        },
                        facts: MatchingFacts {
                            profession: if rng.gen_bool(0.5) {
                                Profession::Nurse
                            } else {
                                Profession::Physician
                            },
                            region: Some(
                                if rng.gen_bool(0.5) {
                                    "Bretagne"
                                } else {
                                    "Québec"
                                }
                                .into(),
                            ),
                            languages: vec![if rng.gen_bool(0.5) { "fr" } else { "en" }.into()],
                            verified_workplace: None,
                        },
                    }
                })
                .collect();
            let open: Vec<OpenMentor> = candidates
                .iter()
                .map(|candidate| OpenMentor {
                    user_id: &candidate.profile.row.user_id,
                    profile: candidate.profile.part_for(&seeker.areas),
                    facts: &candidate.facts,
                })
                .collect();
            let limit = rng.gen_range(1..=10);
            let batch = rng.gen_range(1..=7);
            let mut batches_read = 0;
            let found = search(&seeker, open, limit, batch, |batch| {
                batches_read += 1;
                Ok::<_, ()>(
                    batch
                        .iter()
                        .filter_map(|mentor| {
                            candidates
                                .iter()
                                .find(|candidate| candidate.profile.row.user_id == *mentor.user_id)
                                .cloned()
                        })
                        .collect(),
                )
            })
            .expect("no read fails");
            let everyone = rank(&seeker, candidates.clone(), limit);
            let ids = |list: &[Scored]| -> Vec<UserId> {
                list.iter()
                    .map(|scored| scored.candidate.profile.row.user_id.clone())
                    .collect()
            };
            assert_eq!(ids(&found), ids(&everyone), "round {round}");
            stopped_early += usize::from(batches_read < candidates.len().div_ceil(batch));
        }
        assert!(
            stopped_early > 100,
            "stopped early in {stopped_early} rounds"
        );
    }

    /// What lets a search stop after the first batch: an open mentor scores, from what the
    /// index knows, what they score once read.
    #[test]
    fn an_open_mentor_scores_what_the_candidate_scores() {
        use crate::accounts::model::{MatchingFacts, Profession};
        use crate::mentorship::model::{MentorProfile, MentorProfileRow};
        let mut rng = StdRng::seed_from_u64(7);
        let facts = |rng: &mut StdRng| MatchingFacts {
            profession: *Profession::ALL.choose(rng).expect("professions"),
            region: Some(
                ["Bretagne", "Québec"]
                    .choose(rng)
                    .expect("regions")
                    .to_string(),
            ),
            languages: vec![["fr", "en"].choose(rng).expect("languages").to_string()],
            verified_workplace: None,
        };
        let areas = |rng: &mut StdRng| {
            let count = rng.gen_range(1..=5);
            MentorshipArea::ALL
                .choose_multiple(rng, count)
                .copied()
                .collect::<Vec<_>>()
        };
        for n in 0..2_000 {
            let seeker = Seeker {
                user_id: UserId::from_client("seeker"),
                facts: facts(&mut rng),
                years_of_experience: rng.gen_range(0..30),
                areas: areas(&mut rng),
                preferred_profession: None,
            };
            let capacity = rng.gen_range(0..=10);
            let now = chrono::Utc::now().naive_utc();
            let profile = MentorProfile {
                row: MentorProfileRow {
                    user_id: UserId::from_client(format!("mentor-{n}")),
                    headline: "Mentor".into(),
                    years_of_experience: rng.gen_range(0..60),
                    capacity,
                    accepting_mentees: true,
                    created_at: now,
                    updated_at: now,
                },
                areas: areas(&mut rng),
                active_mentees: rng.gen_range(0..=i64::from(capacity)),
                own_average_rating: None,
            };
            let candidate = Candidate {
                profile,
                facts: facts(&mut rng),
            };
            let open = open_mentor_score(
                &seeker,
                &OpenMentor {
                    user_id: &candidate.profile.row.user_id,
                    profile: candidate.profile.part_for(&seeker.areas),
                    facts: &candidate.facts,
                },
            );
            let scored = score(&seeker, candidate);
            assert!((0.0..=1.0).contains(&scored.score));
            assert_eq!(scored.score, open);
        }
    }

    #[test]
    fn a_blocking_pair_is_found_when_there_is_one() {
        let [ana, bob] = [UserId::from_client("ana"), UserId::from_client("bob")];
        let mentor = UserId::from_client("mentor");
        let preferences = HashMap::from([
            (ana.clone(), vec![mentor.clone()]),
            (bob.clone(), vec![mentor.clone()]),
        ]);
        let capacity = HashMap::from([(mentor.clone(), 1)]);
        // The mentor prefers Ana but got Bob: Ana and the mentor block.
        let rank = |_: &UserId, mentee: &UserId| if mentee.as_str() == "ana" { 1.0 } else { 0.0 };
        let unstable = HashMap::from([(bob.clone(), mentor.clone())]);
        assert_eq!(
            blocking_pairs(&preferences, rank, &capacity, &unstable),
            [(ana.clone(), mentor.clone())]
        );
        assert_eq!(
            stable_assignment(&preferences, rank, &capacity),
            HashMap::from([(ana, mentor)])
        );
    }
}

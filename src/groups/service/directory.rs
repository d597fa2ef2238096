//! Creating, changing and finding groups: a new group with its first facilitator, its settings,
//! search, a person's groups.

use super::*;
use crate::accounts::model::Profession;

/// A group as its views show it, read within a write.
fn shown_group(conn: &mut DbConnection, id: &GroupId) -> AppResult<Group> {
    store::groups_by_ids(conn, std::slice::from_ref(id))?
        .pop()
        .ok_or(AppError::NotFound)
}

fn valid_name(name: &str) -> AppResult<String> {
    validate::name("name", name, NAME_MIN, NAME_MAX)
}

fn valid_description(description: &str) -> AppResult<String> {
    validate::text("description", description, 0, DESCRIPTION_MAX)
}

fn valid_topic(topic: &str) -> AppResult<String> {
    validate::text("topic", topic, TOPIC_MIN, TOPIC_MAX)
}

/// Each profession once, in a stable order.
fn distinct(mut professions: Vec<Profession>) -> Vec<Profession> {
    professions.sort_by_key(|profession| profession.as_str());
    professions.dedup();
    professions
}

/// What search matches and names are unique by, from the group's texts.
fn search_texts(row: &GroupRow) -> GroupSearchTexts {
    GroupSearchTexts {
        name_normalized: row.name.to_lowercase(),
        search_text: search_text(&row.name, &row.description, &row.topic),
    }
}

/// What group search matches: the texts without case or accents.
fn search_text(name: &str, description: &str, topic: &str) -> String {
    validate::search_key(&format!("{name}\n{description}\n{topic}"))
}

/// Fills the search texts a migration left empty (when their folding changed); how many.
pub async fn fill_search_texts(db: &Db) -> AppResult<usize> {
    db.write(|conn| {
        let mut filled = 0;
        loop {
            let batch = store::unindexed_groups(conn, 500)?;
            if batch.is_empty() {
                return Ok(filled);
            }
            for (id, name, description, topic) in batch {
                store::set_search_text(conn, &id, &search_text(&name, &description, &topic))?;
                filled += 1;
            }
        }
    })
    .await
}

fn name_taken(cause: DieselError) -> AppError {
    match cause {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            AppError::Conflict(Message::GroupNameTaken)
        }
        other => other.into(),
    }
}

/// Creates a group; its creator becomes its first facilitator.
pub async fn create_group(db: &Db, viewer: &Viewer, form: GroupForm) -> AppResult<Group> {
    let name = valid_name(&form.name)?;
    let description = valid_description(&form.description)?;
    let topic = valid_topic(&form.topic)?;
    let language = validate::language("language", &form.language)?;
    let region = validate::optional_text("region", form.region.as_deref(), REGION_MAX)?;
    let professions = distinct(form.professions);
    let now = Utc::now().naive_utc();
    let row = GroupRow {
        id: GroupId::generate(),
        name,
        description,
        topic,
        visibility: form.visibility,
        language,
        region,
        created_by: Some(viewer.user_id.clone()),
        created_at: now,
        verified_only: form.verified_only,
        active_members: 0,
    };
    let texts = search_texts(&row);
    let creator = viewer.user_id.clone();
    db.write(move |conn| {
        ensure_room_for_a_group(conn, &creator)?;
        store::insert_group(conn, &row, &texts).map_err(name_taken)?;
        for profession in &professions {
            store::insert_profession(conn, &row.id, *profession)?;
        }
        store::insert_membership(
            conn,
            &Membership {
                id: MembershipId::generate(),
                group_id: row.id.clone(),
                user_id: creator,
                role: MemberRole::Facilitator,
                status: MembershipStatus::Active,
                created_at: now,
                active_since: Some(now),
            },
        )?;
        // Read again as the triggers left it: the creator counted, the professions listed.
        shown_group(conn, &row.id)
    })
    .await
}

/// Changes a group's settings; facilitators only (FORBIDDEN otherwise; NOT_FOUND for no such
/// group). Absent fields stay as they are; the same rules as at creation (a taken name is
/// CONFLICT). Nobody is notified. Members stay members whatever changes: making a group
/// verified-only or private applies to who joins from now on.
pub async fn update_group(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    changes: GroupChanges,
) -> AppResult<Group> {
    let name = changes.name.as_deref().map(valid_name).transpose()?;
    let description = changes
        .description
        .as_deref()
        .map(valid_description)
        .transpose()?;
    let topic = changes.topic.as_deref().map(valid_topic).transpose()?;
    let professions = changes.professions.map(distinct);
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let mut row = locked_group(conn, &group_id)?;
        if active_role_in(conn, &group_id, &user_id)? != Some(true) {
            return Err(AppError::Forbidden);
        }
        if let Some(name) = name {
            row.name = name;
        }
        if let Some(description) = description {
            row.description = description;
        }
        if let Some(topic) = topic {
            row.topic = topic;
        }
        if let Some(visibility) = changes.visibility {
            row.visibility = visibility;
        }
        if let Some(verified_only) = changes.verified_only {
            row.verified_only = verified_only;
        }
        store::update_group(conn, &row, &search_texts(&row)).map_err(name_taken)?;
        if let Some(professions) = &professions {
            store::replace_professions(conn, &group_id, professions)?;
        }
        shown_group(conn, &group_id)
    })
    .await
}

/// Discovery: public and private groups (private ones show their description and counts), with
/// the viewer's membership of each.
pub async fn search(
    db: &Db,
    viewer: &UserId,
    mut search: GroupSearch,
    page: PageRequest,
) -> AppResult<Page<GroupAsSeen>> {
    let joined = search.words.join(" ");
    validate::text("search", &joined, 0, SEARCH_MAX)?;
    search.words = search
        .words
        .iter()
        .flat_map(|words| words.split_whitespace())
        .map(validate::search_key)
        .collect();
    search.language = search
        .language
        .as_deref()
        .map(|tag| validate::language("language", tag))
        .transpose()?;
    search.region = search
        .region
        .as_deref()
        .map(str::trim)
        .filter(|region| !region.is_empty())
        .map(str::to_owned);
    let after: Option<GroupId> = page.after()?;
    let viewer = viewer.clone();
    db.run(move |conn| {
        let rows =
            store::search_groups(conn, &search, &viewer, after.as_ref(), page.fetch_limit())?;
        Ok(Page::from_overfetch(rows, &page))
    })
    .await
}

/// Groups by id, for loaders (unknown ids are left out).
pub async fn groups(db: &Db, ids: Vec<GroupId>) -> AppResult<Vec<Group>> {
    db.run(move |conn| Ok(store::groups_by_ids(conn, &ids)?))
        .await
}

/// The viewer's active groups, newest first, with their membership of each.
pub async fn my_groups(db: &Db, viewer: &Viewer) -> AppResult<Vec<(Group, Membership)>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| Ok(store::active_groups_of(conn, &user_id, GROUPS_MAX)?))
        .await
}

/// The person's memberships of these groups.
pub async fn memberships_of(
    db: &Db,
    user_id: UserId,
    ids: Vec<GroupId>,
) -> AppResult<Vec<Membership>> {
    db.run(move |conn| Ok(store::memberships_of(conn, &user_id, &ids)?))
        .await
}

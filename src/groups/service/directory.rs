//! Creating and finding groups: a new group with its first facilitator, search, a person's groups,
//! member counts.

use super::*;

fn with_professions(conn: &mut DbConnection, rows: Vec<GroupRow>) -> AppResult<Vec<Group>> {
    let ids: Vec<GroupId> = rows.iter().map(|row| row.id.clone()).collect();
    let mut professions = store::professions_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| Group {
            professions: professions.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// Creates a group; its creator becomes its first facilitator.
pub async fn create_group(db: &Db, viewer: &Viewer, form: GroupForm) -> AppResult<Group> {
    let name = validate::name("name", &form.name, NAME_MIN, NAME_MAX)?;
    let description = validate::text("description", &form.description, 0, DESCRIPTION_MAX)?;
    let topic = validate::text("topic", &form.topic, TOPIC_MIN, TOPIC_MAX)?;
    let language = validate::language("language", &form.language)?;
    let region = validate::optional_text("region", form.region.as_deref(), REGION_MAX)?;
    let mut professions = form.professions;
    professions.sort_by_key(|profession| profession.as_str());
    professions.dedup();
    let now = Utc::now().naive_utc();
    let row = GroupRow {
        id: GroupId::generate(),
        name_normalized: name.to_lowercase(),
        search_text: format!("{name}\n{description}\n{topic}").to_lowercase(),
        name,
        description,
        topic,
        visibility: form.visibility,
        language,
        region,
        created_by: Some(viewer.user_id.clone()),
        created_at: now,
        verified_only: form.verified_only,
    };
    let creator = viewer.user_id.clone();
    db.write(move |conn| {
        store::insert_group(conn, &row).map_err(|cause| match cause {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict(Message::GroupNameTaken)
            }
            other => other.into(),
        })?;
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
        Ok(Group { row, professions })
    })
    .await
}

/// Discovery: public and private groups (private ones show their description and counts).
pub async fn search(db: &Db, mut search: GroupSearch, page: PageRequest) -> AppResult<Page<Group>> {
    let joined = search.words.join(" ");
    validate::text("search", &joined, 0, SEARCH_MAX)?;
    search.words = search
        .words
        .iter()
        .flat_map(|words| words.split_whitespace())
        .map(|word| validate::normalized(word).to_lowercase())
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
    db.run(move |conn| {
        let rows = store::search_groups(conn, &search, after.as_ref(), page.fetch_limit())?;
        Page::from_overfetch(rows, &page).try_map_items(|rows| with_professions(conn, rows))
    })
    .await
}

/// Groups by id, for loaders (unknown ids are left out).
pub async fn groups(db: &Db, ids: Vec<GroupId>) -> AppResult<Vec<Group>> {
    db.run(move |conn| {
        let rows = store::groups_by_ids(conn, &ids)?;
        with_professions(conn, rows)
    })
    .await
}

pub async fn my_groups(db: &Db, viewer: &Viewer) -> AppResult<Vec<Group>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let rows = store::active_groups_of(conn, &user_id, MY_GROUPS_MAX as i64)?;
        with_professions(conn, rows)
    })
    .await
}

/// Active members of each group.
pub async fn member_counts(db: &Db, ids: Vec<GroupId>) -> AppResult<HashMap<GroupId, i64>> {
    db.run(move |conn| Ok(store::active_counts(conn, &ids)?))
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

//! Posts and replies: who may read and write them, anonymity kept, deletion and the removal of an
//! author's posting rights.

use super::*;

fn visible_page(
    conn: &mut DbConnection,
    viewer: &UserId,
    group_id: &GroupId,
    parent: Option<&PostId>,
    page: &PageRequest,
) -> AppResult<Page<VisiblePost>> {
    let after: Option<PostId> = page.after()?;
    let hidden = store::blocked_by(conn, viewer)?;
    let rows = store::posts_page(
        conn,
        group_id,
        parent,
        &hidden,
        after.as_ref(),
        page.fetch_limit(),
    )?;
    Ok(Page::from_overfetch(rows, page).map(|row| VisiblePost::for_viewer(row, viewer)))
}

/// A group's top-level posts, newest first. Members only.
pub async fn posts(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    page: PageRequest,
) -> AppResult<Page<VisiblePost>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        active_membership(conn, &group_id, &user_id)?;
        visible_page(conn, &user_id, &group_id, None, &page)
    })
    .await
}

/// The first page of top-level posts of each of these groups, `size` posts each, for a viewer who
/// is an active member (the others' groups are left out): three statements whatever the number
/// of groups, so that a home screen listing every group with its latest post stays cheap.
pub async fn first_pages(
    db: &Db,
    viewer: UserId,
    groups: Vec<GroupId>,
    size: usize,
) -> AppResult<HashMap<GroupId, Page<VisiblePost>>> {
    let page = PageRequest::new(i32::try_from(size).ok(), None)?;
    db.run(move |conn| {
        let readable: Vec<GroupId> = store::memberships_of(conn, &viewer, &groups)?
            .into_iter()
            .filter(Membership::is_active)
            .map(|membership| membership.group_id)
            .collect();
        let hidden = store::blocked_by(conn, &viewer)?;
        let mut by_group: HashMap<GroupId, Vec<PostRow>> =
            readable.into_iter().map(|id| (id, Vec::new())).collect();
        for row in store::latest_posts(conn, &groups, &hidden, page.fetch_limit())? {
            if let Some(rows) = by_group.get_mut(&row.group_id) {
                rows.push(row);
            }
        }
        Ok(by_group
            .into_iter()
            .map(|(id, rows)| {
                let first = Page::from_overfetch(rows, &page)
                    .map(|row| VisiblePost::for_viewer(row, &viewer));
                (id, first)
            })
            .collect())
    })
    .await
}

/// A post's replies, oldest first. Members only.
pub async fn replies(
    db: &Db,
    viewer: &Viewer,
    post_id: PostId,
    page: PageRequest,
) -> AppResult<Page<VisiblePost>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let post = readable_post(conn, &post_id, &user_id)?;
        visible_page(conn, &user_id, &post.group_id, Some(&post.id), &page)
    })
    .await
}

/// Replies under each post.
pub async fn reply_counts(db: &Db, ids: Vec<PostId>) -> AppResult<HashMap<PostId, i64>> {
    db.run(move |conn| Ok(store::reply_counts(conn, &ids)?))
        .await
}

/// Each of these posts as its viewer may see it: only for a viewer who is an active member of the
/// post's group and has not blocked its (signed) author. A statement per kind of fact, however
/// many viewers: the subscribers a new post wakes at once read it together.
pub async fn posts_for(
    db: &Db,
    wanted: Vec<(PostId, UserId)>,
) -> AppResult<HashMap<(PostId, UserId), VisiblePost>> {
    db.run(move |conn| {
        let mut viewers_of: HashMap<PostId, Vec<UserId>> = HashMap::new();
        for (post_id, viewer) in wanted {
            viewers_of.entry(post_id).or_default().push(viewer);
        }
        let post_ids: Vec<PostId> = viewers_of.keys().cloned().collect();
        let mut visible = HashMap::new();
        for post in store::posts_by_ids(conn, &post_ids)? {
            let Some(viewers) = viewers_of.remove(&post.id) else {
                continue;
            };
            let members: HashSet<UserId> =
                store::active_members_among(conn, &post.group_id, &viewers)?
                    .into_iter()
                    .collect();
            let blockers: HashSet<UserId> = match post.signed_by() {
                Some(author) => store::blockers_among(conn, author, &viewers)?
                    .into_iter()
                    .collect(),
                None => HashSet::new(),
            };
            for viewer in viewers {
                if members.contains(&viewer) && !blockers.contains(&viewer) {
                    let seen = VisiblePost::for_viewer(post.clone(), &viewer);
                    visible.insert((post.id.clone(), viewer), seen);
                }
            }
        }
        Ok(visible)
    })
    .await
}

/// Checks that the viewer may follow a group's posts live.
pub async fn ensure_member(db: &Db, viewer: &Viewer, group_id: GroupId) -> AppResult<()> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| active_membership(conn, &group_id, &user_id).map(drop))
        .await
}

/// Posts in a group, or replies to one of its top-level posts. Members only.
pub async fn create_post(db: &Db, viewer: &Viewer, form: PostForm) -> AppResult<VisiblePost> {
    let body = validate::text("body", &form.body, 1, BODY_MAX)?;
    let author = viewer.user_id.clone();
    db.write(move |conn| {
        accounts::lock_own_account(conn, &author)?;
        let group = existing_group(conn, &form.group_id)?;
        active_membership(conn, &form.group_id, &author)?;
        if store::is_suspended(conn, &form.group_id, &author)? {
            return Err(AppError::Denied(Message::PostingSuspended));
        }
        let parent = match &form.parent_id {
            None => None,
            Some(parent_id) => Some(
                store::post(conn, parent_id)?
                    .filter(|parent| parent.group_id == form.group_id && parent.parent_id.is_none())
                    .ok_or_else(|| AppError::bad_input("parentId", Message::InvalidParentPost))?,
            ),
        };
        let post = PostRow {
            id: PostId::generate(),
            group_id: form.group_id.clone(),
            author_id: Some(author.clone()),
            parent_id: form.parent_id.clone(),
            anonymous: form.anonymous,
            body,
            created_at: Utc::now().naive_utc(),
            edited_at: None,
        };
        store::insert_post(conn, &post)?;
        // The parent's author hears of replies they can see: not of a signed reply from
        // someone they blocked (an anonymous one is shown, and told, like any other).
        // A tombstone's author is gone: nobody to tell.
        let parent_author = parent
            .as_ref()
            .and_then(|parent| parent.author_id.clone())
            .filter(|parent_author| *parent_author != author);
        let hidden_from_parent_author = match &parent_author {
            Some(parent_author) if !post.anonymous => {
                store::blocked_by(conn, parent_author)?.contains(&author)
            }
            _ => false,
        };
        if let (Some(parent), Some(parent_author)) = (parent, parent_author)
            && !hidden_from_parent_author
        {
            let notice = Notice::new(
                NotificationCategory::GroupActivity,
                NotificationText::PostReply { group: group.name },
            )
            .with_data("groupId", group.id.to_string())
            .with_data("postId", parent.id.to_string())
            .with_data("replyId", post.id.to_string());
            notify(conn, &parent_author, notice)?;
        }
        after_commit(Committed::PostAdded {
            group_id: post.group_id.clone(),
            post_id: post.id.clone(),
        });
        Ok(VisiblePost::for_viewer(post, &author))
    })
    .await
}

/// Changes the body of the viewer's own post (1 to 5,000 characters) and marks it edited. Its
/// author only, while an active member allowed to post: FORBIDDEN for a post of someone else the
/// viewer may read, NOT_FOUND otherwise. An anonymous post stays anonymous; nobody is notified.
pub async fn update_post(
    db: &Db,
    viewer: &Viewer,
    post_id: PostId,
    body: String,
) -> AppResult<VisiblePost> {
    let body = validate::text("body", &body, 1, BODY_MAX)?;
    let author = viewer.user_id.clone();
    db.write(move |conn| {
        let mut post = readable_post(conn, &post_id, &author)?;
        if post.author_id.as_ref() != Some(&author) {
            return Err(AppError::Forbidden);
        }
        if store::is_suspended(conn, &post.group_id, &author)? {
            return Err(AppError::Denied(Message::PostingSuspended));
        }
        let now = Utc::now().naive_utc();
        store::edit_post(conn, &post.id, &body, now)?;
        post.body = body;
        post.edited_at = Some(now);
        Ok(VisiblePost::for_viewer(post, &author))
    })
    .await
}

/// A post the viewer may act on as author or moderator; NOT_FOUND for anyone else.
fn actionable_post(
    conn: &mut DbConnection,
    post_id: &PostId,
    actor: &UserId,
) -> AppResult<(PostRow, bool)> {
    let post = store::post(conn, post_id)?.ok_or(AppError::NotFound)?;
    let own = post.author_id.as_ref() == Some(actor);
    let moderating = !own && may_moderate(conn, &post.group_id, actor)?;
    if !own && !moderating {
        // Members who may read it learn they may not delete it; others learn nothing.
        return match readable_post(conn, post_id, actor) {
            Ok(_) => Err(AppError::Forbidden),
            Err(error) => Err(error),
        };
    }
    Ok((post, moderating))
}

/// Deletes a post with its replies: its author, a facilitator of the group, or a MODERATOR/ADMIN.
pub async fn delete_post(
    db: &Db,
    viewer: &Viewer,
    post_id: PostId,
    reason: Option<String>,
) -> AppResult<bool> {
    let reason = valid_reason(reason.as_deref())?;
    let actor = viewer.user_id.clone();
    db.write(move |conn| {
        let (post, moderating) = actionable_post(conn, &post_id, &actor)?;
        store::delete_post(conn, &post.id)?;
        if moderating {
            let details = ActionDetails {
                post_id: Some(post.id),
                reason,
                ..ActionDetails::default()
            };
            log_action(
                conn,
                &actor,
                ModerationKind::RemovePost,
                &post.group_id,
                details,
            )?;
        }
        Ok(true)
    })
    .await
}

/// Deletes a post and suspends its author from posting in the group, without showing anyone who
/// they are: they stay a member (members, counts and requests look the same to everyone else)
/// and only they are told. Facilitators of the group and MODERATORs/ADMINs only. A facilitator
/// cannot silence a co-facilitator this way (that takes a MODERATOR): the post goes, the author
/// keeps posting, and the answer is the same, so it reveals nothing either.
pub async fn remove_post_author(
    db: &Db,
    viewer: &Viewer,
    post_id: PostId,
    reason: Option<String>,
) -> AppResult<bool> {
    let reason = valid_reason(reason.as_deref())?;
    let actor = viewer.user_id.clone();
    db.write(move |conn| {
        let (post, moderating) = actionable_post(conn, &post_id, &actor)?;
        if !moderating {
            return Err(AppError::bad_input("postId", Message::CannotTargetSelf));
        }
        let group = locked_group(conn, &post.group_id)?;
        store::delete_post(conn, &post.id)?;
        // A tombstone has no author left to suspend: it just goes.
        if let Some(author) = &post.author_id {
            let author_leads = store::membership(conn, &post.group_id, author)?
                .is_some_and(|membership| membership.is_facilitator());
            if !author_leads || is_moderator(conn, &actor)? {
                store::suspend_posting(conn, &post.group_id, author, Utc::now().naive_utc())?;
                let notice = Notice::new(
                    NotificationCategory::GroupActivity,
                    NotificationText::PostRemovedPostingSuspended { group: group.name },
                )
                .with_data("groupId", group.id.to_string());
                notify(conn, author, notice)?;
            }
        }
        // The log keeps the author only when the post was signed: nobody is shown an anonymous author.
        let target = post.signed_by().cloned();
        let details = ActionDetails {
            post_id: Some(post.id),
            target,
            reason,
            ..ActionDetails::default()
        };
        log_action(
            conn,
            &actor,
            ModerationKind::RemovePostAuthor,
            &post.group_id,
            details,
        )?;
        Ok(true)
    })
    .await
}

//! Reports on posts and the moderators' queue: filing, resolving, and the moderation log.

use super::*;

/// Reports a post to the moderators. Members of its group only.
pub async fn report_post(
    db: &Db,
    viewer: &Viewer,
    post_id: PostId,
    category: ReportCategory,
    reason: String,
) -> AppResult<ReportId> {
    let reason = validate::text("reason", &reason, 1, REASON_MAX)?;
    let reporter = viewer.user_id.clone();
    db.write(move |conn| {
        let post = readable_post(conn, &post_id, &reporter)?;
        let report = ReportRow {
            id: ReportId::generate(),
            post_id: Some(post.id),
            group_id: post.group_id,
            reporter_id: Some(reporter),
            category,
            priority: category.priority(),
            reason,
            status: ReportStatus::Open,
            created_at: Utc::now().naive_utc(),
            resolved_at: None,
            resolved_by: None,
            resolution: None,
        };
        if !store::insert_report(conn, &report)? {
            return Err(AppError::Conflict(Message::AlreadyReported));
        }
        Ok(report.id)
    })
    .await
}

fn with_posts(
    conn: &mut DbConnection,
    viewer: &UserId,
    rows: Vec<ReportRow>,
) -> AppResult<Vec<Report>> {
    let ids: Vec<PostId> = rows.iter().filter_map(|row| row.post_id.clone()).collect();
    let posts: HashMap<PostId, PostRow> = store::posts_by_ids(conn, &ids)?
        .into_iter()
        .map(|post| (post.id.clone(), post))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| Report {
            post: row
                .post_id
                .as_ref()
                .and_then(|id| posts.get(id))
                .map(|post| VisiblePost::for_viewer(post.clone(), viewer)),
            row,
        })
        .collect())
}

/// Open reports, AT_RISK first then oldest first. MODERATORs and ADMINs only.
pub async fn open_reports(db: &Db, viewer: &Viewer, page: PageRequest) -> AppResult<Page<Report>> {
    let user_id = viewer.user_id.clone();
    let after: Option<QueuePosition<ReportId>> = page.after()?;
    db.run(move |conn| {
        ensure_moderator(conn, &user_id)?;
        let rows = store::open_reports_page(conn, after, page.fetch_limit())?;
        Page::from_overfetch(rows, &page).try_map_items(|rows| with_posts(conn, &user_id, rows))
    })
    .await
}

/// Closes a report. MODERATORs and ADMINs only.
pub async fn resolve_report(
    db: &Db,
    viewer: &Viewer,
    report_id: ReportId,
    resolution: Option<String>,
) -> AppResult<Report> {
    let resolution = validate::optional_text("resolution", resolution.as_deref(), REASON_MAX)?;
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        ensure_moderator(conn, &user_id)?;
        let report = store::report(conn, &report_id)?.ok_or(AppError::NotFound)?;
        // A guarded update: of two moderators resolving at once, one resolves and logs.
        let resolved = store::resolve_report(
            conn,
            &report.id,
            &user_id,
            resolution.as_deref(),
            Utc::now().naive_utc(),
        )?;
        if !resolved {
            return Err(AppError::Conflict(Message::ReportAlreadyResolved));
        }
        let details = ActionDetails {
            report_id: Some(report.id.clone()),
            reason: resolution,
            post_id: report.post_id.clone(),
            ..ActionDetails::default()
        };
        log_action(
            conn,
            &user_id,
            ModerationKind::ResolveReport,
            &report.group_id,
            details,
        )?;
        let row = store::report(conn, &report.id)?.ok_or(AppError::NotFound)?;
        with_posts(conn, &user_id, vec![row])?
            .pop()
            .ok_or(AppError::NotFound)
    })
    .await
}

/// The moderation log, newest first, for one group or all. MODERATORs and ADMINs only.
pub async fn moderation_log(
    db: &Db,
    viewer: &Viewer,
    group_id: Option<GroupId>,
    page: PageRequest,
) -> AppResult<Page<ModerationAction>> {
    let user_id = viewer.user_id.clone();
    let after: Option<ModerationActionId> = page.after()?;
    db.run(move |conn| {
        ensure_moderator(conn, &user_id)?;
        let rows =
            store::actions_page(conn, group_id.as_ref(), after.as_ref(), page.fetch_limit())?;
        Ok(Page::from_overfetch(rows, &page))
    })
    .await
}

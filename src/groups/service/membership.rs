//! Membership: joining (at once or on approval), leaving and being removed with what other domains
//! gave ending too, roles and the hand-over of the last facilitator, the member lists.

use super::*;

/// Joins a group: at once for a public one, on a facilitator's approval for a private one or
/// for someone a facilitator removed before.
pub async fn join(db: &Db, viewer: &Viewer, group_id: GroupId) -> AppResult<Membership> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        ensure_room_for_a_group(conn, &user_id)?;
        let group = locked_group(conn, &group_id)?;
        if store::membership(conn, &group_id, &user_id)?.is_some() {
            return Err(AppError::Conflict(Message::AlreadyMember));
        }
        if group.verified_only && !accounts::has_verified_profession(conn, &user_id)? {
            return Err(AppError::Unmet(Prerequisite::VerifiedProfession));
        }
        let needs_approval = group.visibility == GroupVisibility::Private
            || store::was_removed(conn, &group_id, &user_id)?;
        let now = Utc::now().naive_utc();
        let membership = Membership {
            id: MembershipId::generate(),
            group_id: group_id.clone(),
            user_id,
            role: MemberRole::Member,
            status: if needs_approval {
                MembershipStatus::Pending
            } else {
                MembershipStatus::Active
            },
            created_at: now,
            active_since: (!needs_approval).then_some(now),
        };
        store::insert_membership(conn, &membership)?;
        if needs_approval {
            for facilitator in store::facilitators(conn, &group_id)? {
                let notice = Notice::new(
                    NotificationCategory::GroupActivity,
                    NotificationText::GroupJoinRequest {
                        group: group.name.clone(),
                    },
                )
                .with_data("groupId", group_id.to_string());
                notify(conn, &facilitator, notice)?;
            }
        }
        Ok(membership)
    })
    .await
}

/// Another domain's part in a membership ending (leaving, removal), run in the same
/// transaction once the membership is gone: what the group gave ends with it. The GraphQL face
/// hands these in, so that groups depend on none of the domains built on them.
pub type MembershipEnded = fn(&mut DbConnection, &GroupId, &UserId) -> AppResult<()>;

/// Leaves a group (or withdraws a request), under [`hand_over_if_last`]'s rule; `ended` runs
/// for the membership that went.
pub async fn leave(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    ended: &'static [MembershipEnded],
) -> AppResult<bool> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        locked_group(conn, &group_id)?;
        let Some(membership) = store::membership(conn, &group_id, &user_id)? else {
            return Ok(false);
        };
        hand_over_if_last(conn, &membership)?;
        let left = store::delete_membership(conn, &membership.id)? == 1;
        for end in ended {
            end(conn, &group_id, &user_id)?;
        }
        Ok(left)
    })
    .await
}

/// The one rule for a member going (leaving, removed, erased): when they are the group's last
/// facilitator, the longest-standing other active member takes the role; CONFLICT when nobody is
/// left to take it. Call it with the group locked.
pub(super) fn hand_over_if_last(conn: &mut DbConnection, departing: &Membership) -> AppResult<()> {
    if !departing.is_facilitator()
        || store::count_members(conn, &departing.group_id, Some(MemberRole::Facilitator))? > 1
    {
        return Ok(());
    }
    let successor =
        store::memberships_page(conn, &departing.group_id, MembershipStatus::Active, None, 2)?
            .into_iter()
            .find(|membership| membership.user_id != departing.user_id)
            .ok_or(AppError::Conflict(Message::NoSuccessor))?;
    store::set_role(conn, &successor.id, MemberRole::Facilitator)?;
    Ok(())
}

/// A facilitator accepts a pending request.
pub async fn approve(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    member: UserId,
) -> AppResult<Membership> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        let group = locked_group(conn, &group_id)?;
        if !active_membership(conn, &group_id, &user_id)?.is_facilitator() {
            return Err(AppError::Forbidden);
        }
        let mut membership = store::membership(conn, &group_id, &member)?
            .ok_or_else(|| AppError::bad_input("userId", Message::NotAMember))?;
        if membership.status == MembershipStatus::Pending {
            let now = Utc::now().naive_utc();
            store::activate(conn, &membership.id, now)?;
            membership.status = MembershipStatus::Active;
            membership.active_since = Some(now);
            let notice = Notice::new(
                NotificationCategory::GroupActivity,
                NotificationText::GroupJoinApproved { group: group.name },
            )
            .with_data("groupId", group_id.to_string());
            notify(conn, &member, notice)?;
        }
        Ok(membership)
    })
    .await
}

/// Removes a member or declines a request (facilitators, MODERATORs, ADMINs). A removed member
/// needs approval to join again; `ended` runs for the membership that went.
pub async fn remove_member(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    member: UserId,
    reason: Option<String>,
    ended: &'static [MembershipEnded],
) -> AppResult<bool> {
    let reason = valid_reason(reason.as_deref())?;
    let actor = viewer.user_id.clone();
    if member == actor {
        return Err(AppError::bad_input("userId", Message::CannotTargetSelf));
    }
    db.write(move |conn| {
        locked_group(conn, &group_id)?;
        if !may_moderate(conn, &group_id, &actor)? {
            return Err(AppError::Forbidden);
        }
        let membership = store::membership(conn, &group_id, &member)?
            .ok_or_else(|| AppError::bad_input("userId", Message::NotAMember))?;
        hand_over_if_last(conn, &membership)?;
        expel(conn, &membership)?;
        for end in ended {
            end(conn, &group_id, &member)?;
        }
        let details = ActionDetails {
            target: Some(member),
            reason,
            ..ActionDetails::default()
        };
        log_action(
            conn,
            &actor,
            ModerationKind::RemoveMember,
            &group_id,
            details,
        )?;
        Ok(true)
    })
    .await
}

fn expel(conn: &mut DbConnection, membership: &Membership) -> AppResult<()> {
    store::delete_membership(conn, &membership.id)?;
    store::record_removal(
        conn,
        &membership.group_id,
        &membership.user_id,
        Utc::now().naive_utc(),
    )?;
    Ok(())
}

/// A facilitator makes a member a facilitator, or a facilitator a member again (not the last).
pub async fn set_member_role(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    member: UserId,
    role: MemberRole,
) -> AppResult<Membership> {
    let actor = viewer.user_id.clone();
    db.write(move |conn| {
        locked_group(conn, &group_id)?;
        if !active_membership(conn, &group_id, &actor)?.is_facilitator() {
            return Err(AppError::Forbidden);
        }
        let mut membership = store::membership(conn, &group_id, &member)?
            .filter(Membership::is_active)
            .ok_or_else(|| AppError::bad_input("userId", Message::NotAMember))?;
        if membership.role == MemberRole::Facilitator
            && role == MemberRole::Member
            && store::count_members(conn, &group_id, Some(MemberRole::Facilitator))? == 1
        {
            return Err(AppError::Conflict(Message::LastFacilitator));
        }
        store::set_role(conn, &membership.id, role)?;
        membership.role = role;
        let details = ActionDetails {
            target: Some(member),
            reason: Some(role.as_str().to_owned()),
            ..ActionDetails::default()
        };
        log_action(
            conn,
            &actor,
            ModerationKind::SetMemberRole,
            &group_id,
            details,
        )?;
        Ok(membership)
    })
    .await
}

/// One page of a group's active members. Members only.
pub async fn members(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    page: PageRequest,
) -> AppResult<Page<Membership>> {
    let user_id = viewer.user_id.clone();
    let after: Option<MembershipId> = page.after()?;
    db.run(move |conn| {
        active_membership(conn, &group_id, &user_id)?;
        let rows = store::memberships_page(
            conn,
            &group_id,
            MembershipStatus::Active,
            after.as_ref(),
            page.fetch_limit(),
        )?;
        Ok(Page::from_overfetch(rows, &page))
    })
    .await
}

/// The first `limit` requests waiting for approval, oldest first. Facilitators only.
pub async fn pending_requests(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    limit: usize,
) -> AppResult<Vec<Membership>> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        if !active_membership(conn, &group_id, &user_id)?.is_facilitator() {
            return Err(AppError::Forbidden);
        }
        Ok(store::memberships_page(
            conn,
            &group_id,
            MembershipStatus::Pending,
            None,
            limit as i64,
        )?)
    })
    .await
}

/// Mutes the group's pushes for the viewer until `until` (none: until unmuted); its activity
/// still reaches their inbox. Active members only (FORBIDDEN otherwise); an `until` already
/// past is BAD_USER_INPUT.
pub async fn mute(
    db: &Db,
    viewer: &Viewer,
    group_id: GroupId,
    until: Option<NaiveDateTime>,
) -> AppResult<bool> {
    if until.is_some_and(|until| until <= Utc::now().naive_utc()) {
        return Err(AppError::bad_input("until", Message::MustBeInFuture));
    }
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        active_membership(conn, &group_id, &user_id)?;
        crate::notifications::service::mute_group(conn, &user_id, &group_id, until)?;
        Ok(true)
    })
    .await
}

/// Unmutes the group for the viewer; false when it was not muted. FORBIDDEN unless a member.
pub async fn unmute(db: &Db, viewer: &Viewer, group_id: GroupId) -> AppResult<bool> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        active_membership(conn, &group_id, &user_id)?;
        crate::notifications::service::unmute_group(conn, &user_id, &group_id)
    })
    .await
}

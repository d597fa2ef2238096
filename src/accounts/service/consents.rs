//! Consents: what a person agreed to, and to which version of the text. A new version of a text
//! (`RELAIS_TERMS_VERSION`, `RELAIS_HEALTH_DATA_NOTICE_VERSION`) asks everyone again.

use super::*;

/// The consents the person has given, current or not.
pub async fn consents(db: &Db, user_id: &UserId) -> AppResult<Vec<Consent>> {
    let user_id = user_id.clone();
    db.run(move |conn| Ok(store::consents_of(conn, &user_id)?))
        .await
}

/// What the app must ask: every purpose not agreed to, or agreed to an older text.
pub fn consents_needed(given: &[Consent], versions: &ConsentVersions) -> Vec<ConsentPurpose> {
    ConsentPurpose::ALL
        .iter()
        .copied()
        .filter(|purpose| {
            !given.iter().any(|consent| {
                consent.purpose == *purpose && consent.version == purpose.current_version(versions)
            })
        })
        .collect()
}

/// Records the viewer's agreement to the current text for `purpose`; a version that is not the
/// current one is BAD_USER_INPUT on `version` (the app showed an old text).
pub async fn give_consent(
    db: &Db,
    viewer: &Viewer,
    versions: &ConsentVersions,
    purpose: ConsentPurpose,
    version: &str,
) -> AppResult<Account> {
    let current = purpose.current_version(versions);
    if version.trim() != current {
        return Err(AppError::bad_input(
            "version",
            Message::NotCurrentVersion {
                current: current.to_owned(),
            },
        ));
    }
    let consent = Consent {
        user_id: viewer.user_id.clone(),
        purpose,
        version: current.to_owned(),
        given_at: Utc::now().naive_utc(),
    };
    db.write(move |conn| {
        lock_own_account(conn, &consent.user_id)?;
        store::save_consent(conn, &consent)?;
        load_account(conn, &consent.user_id)
    })
    .await
}

/// Withdraws the viewer's consent for `purpose`, where nothing was processed under it but the
/// consent itself (`TERMS`).
pub async fn withdraw_consent(
    db: &Db,
    viewer: &Viewer,
    purpose: ConsentPurpose,
) -> AppResult<Account> {
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        revoke_consent(conn, &user_id, purpose)?;
        load_account(conn, &user_id)
    })
    .await
}

/// Removes the person's consent for `purpose`, inside the caller's transaction (which removes
/// what was processed under it); false when there was none.
pub fn revoke_consent(
    conn: &mut DbConnection,
    user_id: &UserId,
    purpose: ConsentPurpose,
) -> AppResult<bool> {
    lock_own_account(conn, user_id)?;
    Ok(store::delete_consent(conn, user_id, purpose)?)
}

/// FORBIDDEN (reason CONSENT_REQUIRED) unless the person agreed to the current text for
/// `purpose`, inside the caller's transaction.
pub fn require_consent(
    conn: &mut DbConnection,
    user_id: &UserId,
    purpose: ConsentPurpose,
    versions: &ConsentVersions,
) -> AppResult<()> {
    match store::consent_version(conn, user_id, purpose)? {
        Some(version) if version == purpose.current_version(versions) => Ok(()),
        _ => Err(AppError::Unmet(Prerequisite::Consent)),
    }
}

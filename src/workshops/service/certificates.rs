//! Certificates of attendance, and checking one by its code.

use super::*;

/// What an attendance certificate states.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub workshop: WorkshopRow,
    pub attendee: String,
    /// `None` once the organiser erased their account.
    pub organiser: Option<String>,
    pub code: String,
}

/// The longest certificate code worth looking up (codes are 20 characters).
const CERTIFICATE_CODE_MAX: usize = 64;

fn certificate_of(
    conn: &mut DbConnection,
    registration: RegistrationRow,
    workshop: WorkshopRow,
) -> AppResult<Certificate> {
    let code = registration.certificate_code.ok_or(AppError::NotFound)?;
    let people: Vec<UserId> = std::iter::once(registration.user_id.clone())
        .chain(workshop.organiser_id.clone())
        .collect();
    let mut names = accounts::display_names(conn, &people)?;
    Ok(Certificate {
        attendee: names
            .remove(&registration.user_id)
            .ok_or(AppError::NotFound)?,
        organiser: workshop
            .organiser_id
            .as_ref()
            .and_then(|organiser| names.remove(organiser)),
        workshop,
        code,
    })
}

/// The viewer's certificate for a workshop they attended; NOT_FOUND otherwise.
pub async fn certificate(db: &Db, viewer: &Viewer, id: WorkshopId) -> AppResult<Certificate> {
    let user_id = viewer.user_id.clone();
    db.run(move |conn| {
        let registration = store::registration(conn, &id, &user_id)?
            .filter(|row| row.attended == Some(true))
            .ok_or(AppError::NotFound)?;
        let workshop = store::workshop(conn, &id)?.ok_or(AppError::NotFound)?;
        certificate_of(conn, registration, workshop)
    })
    .await
}

/// The certificate carrying `code`, for whoever holds the code; NOT_FOUND for any other.
pub async fn verify_certificate(db: &Db, code: String) -> AppResult<Certificate> {
    if code.len() > CERTIFICATE_CODE_MAX {
        return Err(AppError::NotFound);
    }
    db.run(move |conn| {
        let (registration, workshop) =
            store::certificate(conn, &code)?.ok_or(AppError::NotFound)?;
        certificate_of(conn, registration, workshop)
    })
    .await
}

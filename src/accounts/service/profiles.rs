//! A person's own profile.

use super::*;

/// Changes the viewer's own profile; absent fields stay as they are.
pub async fn update_profile(db: &Db, viewer: &Viewer, form: ProfileForm) -> AppResult<Account> {
    let workplace = patch_text("workplace", form.workplace, WORKPLACE_MAX)?;
    let changes = ProfileChanges {
        display_name: form
            .display_name
            .as_deref()
            .map(|name| validate::name("displayName", name, 1, DISPLAY_NAME_MAX))
            .transpose()?,
        profession: form.profession,
        region: patch_text("region", form.region, REGION_MAX)?,
        bio: patch_text("bio", form.bio, BIO_MAX)?,
        workplace,
        locale: form
            .locale
            .as_deref()
            .map(|value| valid_locale(value).map(|locale| locale.as_str().to_owned()))
            .transpose()?,
        timezone: form
            .timezone
            .as_deref()
            .map(|value| validate::timezone("timezone", value))
            .transpose()?,
        updated_at: Some(Utc::now().naive_utc()),
    };
    let languages = form
        .languages
        .as_deref()
        .map(|values| validate::languages("languages", values, LANGUAGES_MAX))
        .transpose()?;
    let user_id = viewer.user_id.clone();
    db.write(move |conn| {
        // Concurrent updates of one profile take turns: languages are replaced as a whole.
        lock(conn, &user_id)?;
        // A profession a provider vouched for is the provider's: it changes at the next sign-in.
        if let (Some(new), Some((verified, _))) = (
            changes.profession,
            store::verified_profession(conn, &user_id)?,
        ) && new != verified
        {
            return Err(AppError::bad_input(
                "profession",
                Message::ProfessionVerified,
            ));
        }
        store::update_profile(conn, &user_id, &changes)?;
        if changes.timezone.is_some() {
            // The weekly check-in reminder keeps its local weekday and time.
            crate::notifications::reminders::reschedule(conn, &user_id, Utc::now())?;
        }
        if let Some(languages) = &languages {
            store::replace_languages(conn, &user_id, languages)?;
        }
        load_account(conn, &user_id)
    })
    .await
}

/// A nullable text field's change: blank or null clears it.
fn patch_text(
    field: &'static str,
    patch: Patch<String>,
    max: usize,
) -> AppResult<Option<Option<String>>> {
    match patch {
        Patch::Keep => Ok(None),
        Patch::Clear => Ok(Some(None)),
        Patch::Set(value) => validate::optional_text(field, Some(&value), max).map(Some),
    }
}

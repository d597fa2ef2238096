//! Queries on users, their languages and roles.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{
    Consent, ConsentPurpose, EmailTokenPurpose, NO_PASSWORD, NewEmailToken, NewUser, Profession,
    ProfileChanges, Role, UserRow,
};
use crate::db::events::{Committed, after_commit};
use crate::db::schema::{consents, email_tokens, user_languages, user_roles, users};
use crate::db::{DbConnection, TextListExt};
use crate::ids::UserId;
use crate::on_backend;
use crate::validate;

/// The search key of a display name, never empty: empty marks a row still to fill (a name made
/// only of accents would otherwise be filled again at every start).
fn name_key(display_name: &str) -> String {
    Some(validate::search_key(display_name))
        .filter(|key| !key.is_empty())
        .unwrap_or_else(|| " ".to_owned())
}

/// Tells whoever ranks people by their facts (the mentor index) that `user_id`'s changed, once
/// committed; every write below that changes a profession, languages, a region or a verified
/// workplace calls this.
fn facts_changed(user_id: &UserId) {
    after_commit(Committed::PersonFactsChanged {
        user_id: user_id.clone(),
    });
}

/// Inserts a user with the search key of their name.
pub fn insert_user(conn: &mut DbConnection, user: &NewUser) -> QueryResult<()> {
    let name_key = name_key(&user.display_name);
    diesel::insert_into(users::table)
        .values((user, users::name_key.eq(name_key)))
        .execute(conn)
        .map(drop)
}

/// Fills the name keys a migration left empty, a batch at a time; how many it filled.
pub fn fill_name_keys(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut filled = 0;
    loop {
        let batch: Vec<(UserId, String)> = users::table
            .filter(users::name_key.eq(""))
            .select((users::id, users::display_name))
            .limit(500)
            .load(conn)?;
        if batch.is_empty() {
            return Ok(filled);
        }
        for (id, name) in batch {
            diesel::update(users::table.find(id))
                .set(users::name_key.eq(name_key(&name)))
                .execute(conn)?;
            filled += 1;
        }
    }
}

/// Replaces the person's languages, keeping the given order.
pub fn replace_languages(
    conn: &mut DbConnection,
    user_id: &UserId,
    languages: &[String],
) -> QueryResult<()> {
    facts_changed(user_id);
    diesel::delete(user_languages::table.filter(user_languages::user_id.eq(user_id)))
        .execute(conn)?;
    // One statement per row: diesel cannot batch inserts over a connection chosen at run time.
    for (language, position) in languages.iter().zip(0i32..) {
        diesel::insert_into(user_languages::table)
            .values((
                user_languages::user_id.eq(user_id),
                user_languages::position.eq(position),
                user_languages::language.eq(language),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The id and password hash of the account with this normalised email.
pub fn find_credentials(
    conn: &mut DbConnection,
    email_normalized: &str,
) -> QueryResult<Option<(UserId, String)>> {
    users::table
        .filter(users::email_normalized.eq(email_normalized))
        .filter(users::password_hash.ne(NO_PASSWORD))
        .select((users::id, users::password_hash))
        .first(conn)
        .optional()
}

pub fn find_id_by_email(
    conn: &mut DbConnection,
    email_normalized: &str,
) -> QueryResult<Option<UserId>> {
    users::table
        .filter(users::email_normalized.eq(email_normalized))
        .select(users::id)
        .first(conn)
        .optional()
}

pub fn user_exists(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.find(user_id))).get_result(conn)
}

/// The account's password hash; none for an account without a password.
pub fn password_hash(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .filter(users::password_hash.ne(NO_PASSWORD))
        .select(users::password_hash)
        .first(conn)
        .optional()
}

pub fn users_by_ids(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::id.one_of(ids))
        .select(UserRow::as_select())
        .load(conn)
}

pub fn locale(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::locale)
        .first(conn)
        .optional()
}

/// A person's profession, region and verified workplace.
pub type MatchingRow = (UserId, Profession, Option<String>, Option<String>);

pub fn matching_rows(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<MatchingRow>> {
    users::table
        .filter(users::id.one_of(ids))
        .select((
            users::id,
            users::profession,
            users::region,
            users::verified_workplace,
        ))
        .load(conn)
}

/// What only the person sees of their account: their workplace, and when they confirmed their
/// address.
pub fn private_fields(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<(Option<String>, Option<NaiveDateTime>)> {
    users::table
        .find(user_id)
        .select((users::workplace, users::email_verified_at))
        .first(conn)
}

/// Each person's languages in their chosen order.
pub fn languages_by_user(
    conn: &mut DbConnection,
    ids: &[UserId],
) -> QueryResult<HashMap<UserId, Vec<String>>> {
    let rows: Vec<(UserId, String)> = user_languages::table
        .filter(user_languages::user_id.one_of(ids))
        .order((user_languages::user_id, user_languages::position))
        .select((user_languages::user_id, user_languages::language))
        .load(conn)?;
    let mut by_user: HashMap<UserId, Vec<String>> = HashMap::new();
    for (user_id, language) in rows {
        by_user.entry(user_id).or_default().push(language);
    }
    Ok(by_user)
}

pub fn roles(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<Role>> {
    user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .order(user_roles::role)
        .select(user_roles::role)
        .load(conn)
}

/// Everyone holding `role` who speaks `language`.
pub fn holders_speaking(
    conn: &mut DbConnection,
    role: Role,
    language: &str,
) -> QueryResult<Vec<UserId>> {
    user_roles::table
        .inner_join(user_languages::table.on(user_languages::user_id.eq(user_roles::user_id)))
        .filter(user_roles::role.eq(role))
        .filter(user_languages::language.eq(language))
        .select(user_roles::user_id)
        .distinct()
        .load(conn)
}

pub fn has_role(conn: &mut DbConnection, user_id: &UserId, role: Role) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        user_roles::table.filter(
            user_roles::user_id
                .eq(user_id)
                .and(user_roles::role.eq(role)),
        ),
    ))
    .get_result(conn)
}

/// Grants `role`; false when the person already held it (two grants at once included).
pub fn insert_role(
    conn: &mut DbConnection,
    user_id: &UserId,
    role: Role,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let values = (
        user_roles::user_id.eq(user_id),
        user_roles::role.eq(role),
        user_roles::granted_at.eq(now),
    );
    let inserted = on_backend!(conn, |backend| diesel::insert_into(user_roles::table)
        .values(values)
        .on_conflict_do_nothing()
        .execute(backend))?;
    Ok(inserted == 1)
}

pub fn update_profile(
    conn: &mut DbConnection,
    user_id: &UserId,
    changes: &ProfileChanges,
) -> QueryResult<()> {
    if changes.profession.is_some() || changes.region.is_some() {
        facts_changed(user_id);
    }
    let name_key = changes
        .display_name
        .as_deref()
        .map(|name| users::name_key.eq(name_key(name)));
    diesel::update(users::table.find(user_id))
        .set((changes, name_key))
        .execute(conn)
        .map(drop)
}

/// Deletes the user with their languages and roles (the other domains erased theirs first).
pub fn delete_user(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<usize> {
    facts_changed(user_id);
    diesel::delete(user_languages::table.filter(user_languages::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(user_roles::table.filter(user_roles::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(users::table.find(user_id)).execute(conn)
}

pub fn insert_email_token(conn: &mut DbConnection, token: &NewEmailToken) -> QueryResult<()> {
    diesel::insert_into(email_tokens::table)
        .values(token)
        .execute(conn)
        .map(|_| ())
}

/// A one-time token just used: whose it was, what for, and the address it confirms.
#[derive(Debug, Clone)]
pub struct UsedToken {
    pub user_id: UserId,
    pub purpose: EmailTokenPurpose,
    pub new_email: Option<String>,
}

/// Uses the token whose digest is `token_hash` for one of `purposes` (and `owner`'s, when
/// given), once: a guarded update that only one of two concurrent uses wins.
pub fn use_email_token(
    conn: &mut DbConnection,
    token_hash: &str,
    purposes: &[EmailTokenPurpose],
    owner: Option<&UserId>,
    now: NaiveDateTime,
) -> QueryResult<Option<UsedToken>> {
    let found: Option<(String, UserId, EmailTokenPurpose, Option<String>)> = email_tokens::table
        .filter(email_tokens::token_hash.eq(token_hash))
        .filter(email_tokens::purpose.one_of(purposes))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(now))
        .select((
            email_tokens::id,
            email_tokens::user_id,
            email_tokens::purpose,
            email_tokens::new_email,
        ))
        .first(conn)
        .optional()?;
    let Some((id, user_id, purpose, new_email)) =
        found.filter(|(_, user_id, _, _)| owner.is_none_or(|owner| owner == user_id))
    else {
        return Ok(None);
    };
    let used = diesel::update(
        email_tokens::table
            .find(&id)
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok((used == 1).then_some(UsedToken {
        user_id,
        purpose,
        new_email,
    }))
}

/// Ends every token the person holds that is not used yet: what was mailed to an address they
/// no longer have.
pub fn expire_email_tokens(
    conn: &mut DbConnection,
    user_id: &UserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)
}

/// Gives the person a new, confirmed address (a unique violation when another account has it).
pub fn set_email(
    conn: &mut DbConnection,
    user_id: &UserId,
    email: &str,
    email_normalized: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::email.eq(email),
            users::email_normalized.eq(email_normalized),
            users::email_verified_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Tokens for `purpose` the person was sent since `since`.
pub fn email_tokens_since(
    conn: &mut DbConnection,
    user_id: &UserId,
    purpose: EmailTokenPurpose,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    email_tokens::table
        .filter(email_tokens::user_id.eq(user_id))
        .filter(email_tokens::purpose.eq(purpose))
        .filter(email_tokens::created_at.gt(since))
        .order(email_tokens::created_at.asc())
        .select(email_tokens::created_at)
        .load(conn)
}

pub fn set_email_verified(
    conn: &mut DbConnection,
    user_id: &UserId,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::email_verified_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

/// The account with this (normalised) address, and the address as they typed it.
pub fn find_address(
    conn: &mut DbConnection,
    email_normalized: &str,
) -> QueryResult<Option<(UserId, String)>> {
    users::table
        .filter(users::email_normalized.eq(email_normalized))
        .select((users::id, users::email))
        .first(conn)
        .optional()
}

/// The person's address.
pub fn email_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::email)
        .first(conn)
        .optional()
}

pub fn set_password_hash(
    conn: &mut DbConnection,
    user_id: &UserId,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::password_hash.eq(password_hash),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

// ------------------------------------------------------------------ consents

pub fn consents_of(conn: &mut DbConnection, user_id: &UserId) -> QueryResult<Vec<Consent>> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .order(consents::purpose.asc())
        .select(Consent::as_select())
        .load(conn)
}

/// The version of the text the person agreed to for `purpose`, if they did.
pub fn consent_version(
    conn: &mut DbConnection,
    user_id: &UserId,
    purpose: ConsentPurpose,
) -> QueryResult<Option<String>> {
    consents::table
        .find((user_id, purpose))
        .select(consents::version)
        .first(conn)
        .optional()
}

/// Records a consent, replacing the person's earlier one for the same purpose.
pub fn save_consent(conn: &mut DbConnection, consent: &Consent) -> QueryResult<()> {
    on_backend!(conn, |backend| diesel::insert_into(consents::table)
        .values(consent)
        .on_conflict((consents::user_id, consents::purpose))
        .do_update()
        .set((
            consents::version.eq(&consent.version),
            consents::given_at.eq(consent.given_at),
        ))
        .execute(backend))
    .map(drop)
}

/// Removes the person's consent for `purpose`; false when there was none.
pub fn delete_consent(
    conn: &mut DbConnection,
    user_id: &UserId,
    purpose: ConsentPurpose,
) -> QueryResult<bool> {
    diesel::delete(consents::table.find((user_id, purpose)))
        .execute(conn)
        .map(|deleted| deleted > 0)
}

// ------------------------------------------------------------------ verified by a provider

/// Sets (or clears) the profession a provider vouched for, and which provider did.
pub fn set_verified_profession(
    conn: &mut DbConnection,
    user_id: &UserId,
    verified: Option<(Profession, &str)>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    facts_changed(user_id);
    let user = users::table.find(user_id);
    match verified {
        Some((profession, provider)) => diesel::update(user)
            .set((
                users::profession.eq(profession),
                users::profession_verified_by.eq(provider),
                users::updated_at.eq(now),
            ))
            .execute(conn),
        None => diesel::update(user)
            .set(users::profession_verified_by.eq(None::<String>))
            .execute(conn),
    }
    .map(drop)
}

/// The person's profession when a provider vouched for it, with that provider.
pub fn verified_profession(
    conn: &mut DbConnection,
    user_id: &UserId,
) -> QueryResult<Option<(Profession, String)>> {
    Ok(users::table
        .find(user_id)
        .select((users::profession, users::profession_verified_by))
        .first::<(Profession, Option<String>)>(conn)
        .optional()?
        .and_then(|(profession, provider)| provider.map(|provider| (profession, provider))))
}

/// The ones among these people whose profession a provider vouched for.
pub fn verified_among(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<UserId>> {
    users::table
        .filter(users::id.one_of(ids))
        .filter(users::profession_verified_by.is_not_null())
        .select(users::id)
        .load(conn)
}

pub fn set_verified_workplace(
    conn: &mut DbConnection,
    user_id: &UserId,
    workplace: Option<&str>,
) -> QueryResult<()> {
    facts_changed(user_id);
    diesel::update(users::table.find(user_id))
        .set(users::verified_workplace.eq(workplace))
        .execute(conn)
        .map(drop)
}

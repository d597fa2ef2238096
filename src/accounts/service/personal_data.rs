//! The account's share of a person's export and erasure.

use super::*;

/// The account itself: its languages, roles and row, erased last.
pub struct AccountsData;
pub static ACCOUNTS_DATA: AccountsData = AccountsData;

impl PersonalData for AccountsData {
    fn name(&self) -> &'static str {
        "accounts"
    }

    fn columns(&self) -> &'static [PersonColumn] {
        &[
            PersonColumn {
                table: "users",
                column: "id",
            },
            PersonColumn {
                table: "user_languages",
                column: "user_id",
            },
            PersonColumn {
                table: "user_roles",
                column: "user_id",
            },
            // Digests only, gone with the account (cascade).
            PersonColumn {
                table: "email_tokens",
                column: "user_id",
            },
            // Exported below, gone with the account (cascade).
            PersonColumn {
                table: "consents",
                column: "user_id",
            },
        ]
    }

    fn export(&self, conn: &mut DbConnection, person: &Person) -> AppResult<serde_json::Value> {
        let user = &person.id;
        let account = load_account(conn, user)?;
        let person = &account.profile.user;
        Ok(serde_json::json!({
            "email": person.email,
            "displayName": person.display_name,
            "profession": person.profession.as_str(),
            "languages": account.profile.languages,
            "region": person.region,
            "bio": person.bio,
            "locale": person.locale,
            "timezone": person.timezone,
            "workplace": account.workplace,
            "emailVerified": account.email_verified,
            "createdAt": instant(person.created_at),
            "roles": account.roles.iter().map(|role| role.as_str()).collect::<Vec<_>>(),
            "consents": store::consents_of(conn, user)?
                .into_iter()
                .map(|consent| serde_json::json!({
                    "purpose": consent.purpose.as_str(),
                    "version": consent.version,
                    "givenAt": instant(consent.given_at),
                }))
                .collect::<Vec<_>>(),
        }))
    }

    fn erase(&self, conn: &mut DbConnection, person: &Person) -> AppResult<()> {
        let user = &person.id;
        store::delete_user(conn, user)?;
        Ok(())
    }
}

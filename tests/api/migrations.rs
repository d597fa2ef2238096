//! The migrations themselves: every one reverts cleanly, and every foreign key is indexed.

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use relais::db::DbConnection;

use crate::helpers::{Backend, TestApp, drop_postgres_schema, fresh_postgres_schema};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

on_both_backends!(every_foreign_key_has_a_covering_index);

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// Every column of every table, in order, as the catalogue describes it.
fn columns(conn: &mut DbConnection) -> Vec<Column> {
    let mut found: Vec<Column> = match conn {
        DbConnection::Sqlite(sqlite) => diesel::sql_query(
            "SELECT m.name AS table_name, c.name || ' ' || c.type || ' ' || c.\"notnull\" AS column_name
             FROM sqlite_master m JOIN pragma_table_info(m.name) c
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .load(sqlite),
        DbConnection::Postgres(pg) => diesel::sql_query(
            "SELECT table_name::text AS table_name,
                    column_name || ' ' || data_type || ' ' || is_nullable AS column_name
             FROM information_schema.columns WHERE table_schema = current_schema()",
        )
        .load(pg),
    }
    .unwrap();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_migration_reverts_and_applies_again() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = dir.path().join("migrations.db").display().to_string();
    let mut targets = vec![(Backend::Sqlite, sqlite_url)];
    let postgres = fresh_postgres_schema().await;
    if let Some((url, _)) = &postgres {
        targets.push((Backend::Postgres, url.clone()));
    }
    for (backend, url) in targets {
        tokio::task::spawn_blocking(move || {
            let mut conn = match backend {
                Backend::Sqlite => DbConnection::Sqlite(SqliteConnection::establish(&url).unwrap()),
                Backend::Postgres => DbConnection::Postgres(PgConnection::establish(&url).unwrap()),
            };
            let run = |conn: &mut DbConnection| match conn {
                DbConnection::Sqlite(sqlite) => {
                    sqlite.run_pending_migrations(SQLITE).unwrap().len()
                }
                DbConnection::Postgres(pg) => pg.run_pending_migrations(POSTGRES).unwrap().len(),
            };
            let applied = run(&mut conn);
            assert!(applied >= 4, "{backend:?}: {applied}");
            let first = columns(&mut conn);
            let reverted = match &mut conn {
                DbConnection::Sqlite(sqlite) => sqlite.revert_all_migrations(SQLITE).unwrap().len(),
                DbConnection::Postgres(pg) => pg.revert_all_migrations(POSTGRES).unwrap().len(),
            };
            assert_eq!(reverted, applied, "{backend:?}");
            let left: Vec<Column> = columns(&mut conn)
                .into_iter()
                .filter(|column| column.table_name != "__diesel_schema_migrations")
                .collect();
            assert_eq!(left, [], "{backend:?}: down.sql left tables behind");
            assert_eq!(run(&mut conn), applied);
            assert_eq!(
                columns(&mut conn),
                first,
                "{backend:?}: up after down differs"
            );
        })
        .await
        .unwrap();
    }
    if let Some((_, schema)) = postgres {
        drop_postgres_schema(&schema);
    }
}

async fn every_foreign_key_has_a_covering_index(app: TestApp) {
    let unindexed: Vec<Column> = app
        .state
        .db
        .run(|conn| {
            Ok(match conn {
                DbConnection::Sqlite(sqlite) => diesel::sql_query(
                    "SELECT m.name AS table_name, f.\"from\" AS column_name
                     FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
                     WHERE m.type = 'table' AND NOT EXISTS (
                         SELECT 1 FROM pragma_index_list(m.name) l
                         JOIN pragma_index_info(l.name) i
                         WHERE i.seqno = 0 AND i.name = f.\"from\")",
                )
                .load(sqlite)?,
                DbConnection::Postgres(pg) => diesel::sql_query(
                    "SELECT c.conrelid::regclass::text AS table_name, a.attname::text AS column_name
                     FROM pg_constraint c
                     JOIN pg_namespace n ON n.oid = c.connamespace
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                     WHERE c.contype = 'f' AND n.nspname = current_schema()
                       AND NOT EXISTS (SELECT 1 FROM pg_index i
                                       WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])",
                )
                .load(pg)?,
            })
        })
        .await
        .unwrap();
    assert_eq!(
        unindexed,
        [],
        "foreign keys without an index on their column"
    );
}

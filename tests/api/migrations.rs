//! The migrations themselves: every one reverts cleanly, and every foreign key is indexed.

use diesel::connection::SimpleConnection;
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

/// The migration that lets posts outlive their author rebuilds `posts` on SQLite: every post,
/// reply and report pointing at a post must come through it, on both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilding_posts_keeps_every_row_and_link() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = dir.path().join("rebuild.db").display().to_string();
    let mut targets = vec![(Backend::Sqlite, sqlite_url)];
    let postgres = fresh_postgres_schema().await;
    if let Some((url, _)) = &postgres {
        targets.push((Backend::Postgres, url.clone()));
    }
    const BEFORE: &str = "
        INSERT INTO users (id, email, email_normalized, password_hash, display_name, profession,
                           locale, timezone, created_at, updated_at)
            VALUES ('u1', 'a@example.org', 'a@example.org', 'x', 'A', 'NURSE', 'fr',
                    'Europe/Paris', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
        INSERT INTO peer_groups (id, name, name_normalized, description, topic, search_text,
                                 visibility, language, created_by, created_at)
            VALUES ('g1', 'G', 'g', 'd', 'BURNOUT', 'g', 'PUBLIC', 'fr', 'u1', '2026-01-01 00:00:00');
        INSERT INTO posts (id, group_id, author_id, parent_id, anonymous, body, created_at)
            VALUES ('p1', 'g1', 'u1', NULL, false, 'post', '2026-01-01 00:00:00'),
                   ('p2', 'g1', 'u1', 'p1', true, 'reply', '2026-01-01 00:00:01');
        INSERT INTO post_reports (id, post_id, group_id, reporter_id, category, priority, reason,
                                  status, created_at)
            VALUES ('r1', 'p2', 'g1', 'u1', 'OTHER', 1, 'why', 'OPEN', '2026-01-01 00:00:02');
        INSERT INTO sessions (id, user_id, created_at) VALUES ('s1', 'u1', '2026-01-01 00:00:00');";
    const LINKS: &str =
        "SELECT p.id || '>' || COALESCE(p.parent_id, '-') || '>' || COALESCE(r.id, '-')
                         AS table_name, p.body AS column_name
                         FROM posts p LEFT JOIN post_reports r ON r.post_id = p.id ORDER BY p.id";
    for (backend, url) in targets {
        tokio::task::spawn_blocking(move || {
            let mut conn = match backend {
                Backend::Sqlite => DbConnection::Sqlite(SqliteConnection::establish(&url).unwrap()),
                Backend::Postgres => DbConnection::Postgres(PgConnection::establish(&url).unwrap()),
            };
            let next = |conn: &mut DbConnection| match conn {
                DbConnection::Sqlite(sqlite) => {
                    sqlite.run_next_migration(SQLITE).unwrap();
                }
                DbConnection::Postgres(pg) => {
                    pg.run_next_migration(POSTGRES).unwrap();
                }
            };
            if backend == Backend::Sqlite {
                conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
            }
            for _ in 0..4 {
                next(&mut conn);
            }
            conn.batch_execute(BEFORE).unwrap();
            next(&mut conn);
            let links: Vec<Column> = diesel::sql_query(LINKS).load(&mut conn).unwrap();
            let links: Vec<(String, String)> = links
                .into_iter()
                .map(|row| (row.table_name, row.column_name))
                .collect();
            assert_eq!(
                links,
                [
                    ("p1>->-".to_owned(), "post".to_owned()),
                    ("p2>p1>r1".to_owned(), "reply".to_owned())
                ],
                "{backend:?}"
            );
            // Deleting the post still takes its reply, and the report loses its post.
            conn.batch_execute("DELETE FROM posts WHERE id = 'p1'")
                .unwrap();
            let left: Vec<Column> = diesel::sql_query(
                "SELECT COALESCE(post_id, '-') AS table_name, id AS column_name FROM post_reports
                 UNION ALL SELECT id, body FROM posts",
            )
            .load(&mut conn)
            .unwrap();
            assert_eq!(
                left,
                [Column {
                    table_name: "-".into(),
                    column_name: "r1".into()
                }]
            );
        })
        .await
        .unwrap();
    }
    if let Some((_, schema)) = postgres {
        drop_postgres_schema(&schema);
    }
}

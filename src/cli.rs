//! The `relais` command line: serve (the default), worker, migrate, purge, seed, backup,
//! restore, schema, grant-role.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::accounts::model::Role;
use crate::accounts::service as accounts;
use crate::app::{self, StartError};
use crate::config::{DatabaseArgs, Retention, RetentionArgs, ServeArgs, ServerConfig};
use crate::db::Db;
use crate::db::backup::{self, BackupError};
use crate::error::AppError;
use crate::telemetry::LogFormat;
use crate::{graphql, seed, telemetry};

#[derive(Debug, Parser)]
#[command(name = "relais", version, about = "Relais API server")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeArgs,

    /// How log lines are written: `text` for a person, `json` (one object per line) for a log
    /// collector.
    #[arg(
        long,
        env = "RELAIS_LOG_FORMAT",
        value_enum,
        default_value_t,
        global = true
    )]
    log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Run push dispatchers only, no HTTP (several may run against one PostgreSQL database).
    Worker(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Delete now what is past its retention period (`serve` does it every hour).
    Purge {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        retention: RetentionArgs,
    },
    /// Load reference data; with --demo, also demo accounts to try the app with.
    Seed {
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Copy a live SQLite database into a new file, consistent while servers write (PostgreSQL:
    /// pg_dump, see the README).
    Backup {
        /// The new file; never overwritten.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Replace the SQLite database with a backup, refused while any relais process has it open.
    Restore {
        /// A file `relais backup` made.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Print the GraphQL schema (SDL), as checked in as schema.graphql.
    Schema,
    /// Grant a role to the account with this email.
    GrantRole {
        #[arg(long)]
        email: String,
        /// ORGANISER, MODERATOR, ADMIN or PEER_SUPPORTER.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(&value.to_ascii_uppercase()).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("expected one of {}", roles.join(", "))
    })
}

/// Why a command failed; printed as one line.
#[derive(Debug, thiserror::Error)]
enum CommandError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    Database(#[from] crate::db::DbSetupError),
    #[error(transparent)]
    Backup(#[from] BackupError),
    #[error("{0}")]
    Failed(String),
}

impl From<AppError> for CommandError {
    fn from(error: AppError) -> Self {
        CommandError::Failed(match error {
            AppError::Internal(cause) => cause.to_string(),
            other => other.code().to_owned(),
        })
    }
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// [`main`] with the arguments given (the load benchmark runs its server as itself).
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::parse_from(args);
    telemetry::init(cli.log_format);
    let outcome = actix_web::rt::System::new().block_on(run(cli));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("relais: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), CommandError> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Worker(args)) => work(args).await,
        Some(Command::Migrate(database)) => {
            open(&database).await?;
            println!("migrations applied");
            Ok(())
        }
        Some(Command::Purge {
            database,
            retention,
        }) => {
            let retention = Retention::from_args(&retention)?;
            let db = open(&database).await?;
            let now = chrono::Utc::now().naive_utc();
            for purged in crate::privacy::retention::purge(&db, &retention, now).await? {
                println!("{}: {} deleted", purged.kind, purged.rows);
            }
            Ok(())
        }
        Some(Command::Seed { demo, database }) => seed(&database, demo).await,
        Some(Command::Backup { to, database }) => {
            let file = sqlite_file(&database, "backup", "pg_dump")?;
            // A command of its own: blocking here holds up nothing else.
            let made = backup::backup(&file, &to)?;
            println!("{} bytes written to {}", made.bytes, to.display());
            println!("{SECRET_REMINDER}");
            Ok(())
        }
        Some(Command::Restore { from, database }) => {
            let file = sqlite_file(&database, "restore", "pg_restore")?;
            backup::restore(&file, &from)?;
            println!("restored; {SECRET_REMINDER}");
            Ok(())
        }
        Some(Command::Schema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Some(Command::GrantRole {
            email,
            role,
            database,
        }) => {
            let db = open(&database).await?;
            match accounts::grant_role(&db, &email, role).await {
                Ok(true) => println!("{email} is now {}", role.as_str()),
                Ok(false) => println!("{email} already was {}", role.as_str()),
                Err(AppError::NotFound) => {
                    return Err(CommandError::Failed(format!(
                        "no account with email {email}"
                    )));
                }
                Err(error) => return Err(error.into()),
            }
            Ok(())
        }
    }
}

/// What a backup needs beside it (README, "Operating Relais").
const SECRET_REMINDER: &str = "the backup is of use only with the secret of the server that wrote it \
(RELAIS_SECRET or its file): keep the two apart, and both";

/// The SQLite file `DATABASE_URL` names; for PostgreSQL, where to turn instead.
fn sqlite_file(
    database: &DatabaseArgs,
    command: &str,
    postgres_tool: &str,
) -> Result<PathBuf, CommandError> {
    match database.database_url.sqlite_path() {
        Some(path) => Ok(path.to_owned()),
        None => Err(CommandError::Failed(format!(
            "DATABASE_URL: `relais {command}` is for SQLite; on PostgreSQL use {postgres_tool} \
             (README, \"Operating Relais\")"
        ))),
    }
}

async fn open(database: &DatabaseArgs) -> Result<Db, CommandError> {
    let statement_timeout = database.statement_timeout()?;
    Ok(Db::connect(database.database_url.as_str(), statement_timeout).await?)
}

async fn serve(args: ServeArgs) -> Result<(), CommandError> {
    let config = ServerConfig::from_args(args)?;
    let addr = config.addr;
    let state = app::build_state(config).await?;
    let listener = TcpListener::bind(addr).map_err(|cause| StartError::Listen {
        addr: addr.to_string(),
        cause,
    })?;
    tracing::info!(
        %addr,
        database = state.db.backend().name(),
        "serving GraphQL on http://{addr}/graphql"
    );
    let background = crate::background::Background::start(&state, state.config.push.workers);
    let server = app::serve(state.clone(), listener).map_err(|cause| StartError::Listen {
        addr: addr.to_string(),
        cause,
    })?;
    let handle = server.handle();
    tokio::pin!(server);
    let served = tokio::select! {
        served = &mut server => served,
        () = wait_for_stop_signal() => {
            // Stop accepting, close the websockets (1012), let requests in flight finish.
            tracing::info!("stopping: finishing requests in flight");
            state.stopping.begin();
            // The stop completes as the server future runs on, so both are awaited together.
            let (served, ()) = tokio::join!(server, handle.stop(true));
            served
        }
    };
    background.stop().await;
    tracing::info!("stopped");
    served.map_err(|cause| CommandError::Failed(cause.to_string()))
}

/// Push dispatchers until SIGINT or SIGTERM.
async fn work(args: ServeArgs) -> Result<(), CommandError> {
    let config = ServerConfig::from_args(args)?;
    let workers = config.push.workers.max(1);
    let state = app::build_state(config).await?;
    let background = crate::background::Background::start(&state, workers);
    wait_for_stop_signal().await;
    tracing::info!("stopping push dispatchers");
    background.stop().await;
    Ok(())
}

async fn wait_for_stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(terminate) => terminate,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

async fn seed(database: &DatabaseArgs, demo: bool) -> Result<(), CommandError> {
    let db = open(database).await?;
    if !demo {
        println!("reference data is up to date");
        return Ok(());
    }
    for line in seed::demo(&db)
        .await
        .map_err(|cause| CommandError::Failed(cause.to_string()))?
    {
        println!("{line}");
    }
    Ok(())
}

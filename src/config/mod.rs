//! Typed configuration, read once from flags and environment variables and validated before
//! anything starts. A bad value ends start-up with one line naming the variable.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::TimeDelta;

mod providers;

use clap::{Args, ValueEnum};
pub use providers::{IdentityConfig, ProfessionSource, ProviderConfig, check_issuer};
use secrecy::{ExposeSecret, SecretString};

/// The deployment environment: production hides the developer conveniences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// A database URL; its password never shows in `Debug` output or messages.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    /// The file of a `sqlite://PATH` URL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.0.strip_prefix("sqlite://").map(Path::new)
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::db::redact(&self.0))
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(url))
    }
}

/// Settings shared by every subcommand that touches the database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (the file is created) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://relais.db")]
    pub database_url: DatabaseUrl,

    /// Milliseconds one database statement may run before it is stopped (the request fails
    /// with BAD_USER_INPUT, `extensions.limit` `statementTime`).
    #[arg(long, env = "RELAIS_STATEMENT_TIMEOUT_MS", default_value_t = STATEMENT_TIMEOUT_DEFAULT_MS)]
    pub statement_timeout_ms: u64,
}

const STATEMENT_TIMEOUT_DEFAULT_MS: u64 = crate::db::STATEMENT_TIMEOUT_DEFAULT.as_millis() as u64;

impl DatabaseArgs {
    /// The statement timeout, at least a millisecond.
    pub fn statement_timeout(&self) -> Result<Duration, ConfigError> {
        match self.statement_timeout_ms {
            0 => Err(ConfigError::StatementTimeout),
            ms => Ok(Duration::from_millis(ms)),
        }
    }
}

fn secret_text(text: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(text))
}

/// Settings of `relais serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address the HTTP server listens on.
    #[arg(long, env = "RELAIS_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// `production` turns off GraphiQL, introspection and field suggestions, and requires a secret.
    #[arg(
        long = "env",
        env = "RELAIS_ENV",
        value_enum,
        default_value = "development"
    )]
    pub environment: Environment,

    /// Key for pseudonyms and token hashing, at least 32 bytes.
    #[arg(long, env = "RELAIS_SECRET", hide_env_values = true, value_parser = secret_text)]
    pub secret: Option<SecretString>,

    /// File holding the secret instead; in development on SQLite it is generated there when
    /// absent (default: beside the database file, `<file>.secret`).
    #[arg(long, env = "RELAIS_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,

    /// Sign-in calls (login, register, refreshSession, password checks) per minute per client address.
    #[arg(long, env = "RELAIS_AUTH_RATE_PER_MINUTE", default_value_t = 30)]
    pub auth_rate_per_minute: u32,

    /// Requests of one session that run at once; more wait up to 2 s, then are RATE_LIMITED.
    #[arg(long, env = "RELAIS_SESSION_CONCURRENCY", default_value_t = 4)]
    pub session_concurrency: u32,

    /// Reverse proxies whose `X-Forwarded-For` names the client, comma-separated IP addresses.
    #[arg(long, env = "RELAIS_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// The address the apps reach this server at, for the links it hands out (calendar feeds);
    /// default `http://RELAIS_ADDR`.
    #[arg(long, env = "RELAIS_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "RELAIS_HTTP_WORKERS")]
    pub http_workers: Option<usize>,

    /// Web origins allowed to call the API from a browser (CORS), comma-separated, such as
    /// `https://app.example.org`; none by default (the mobile apps need none).
    #[arg(long, env = "RELAIS_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Sends `Strict-Transport-Security: max-age=N` (set it once the server is reached over
    /// HTTPS only).
    #[arg(long, env = "RELAIS_HSTS_SECONDS")]
    pub hsts_seconds: Option<u64>,

    /// Bearer token `/metrics` requires; without one, `/metrics` is not served.
    #[arg(long, env = "RELAIS_METRICS_TOKEN", hide_env_values = true, value_parser = secret_text)]
    pub metrics_token: Option<SecretString>,

    #[command(flatten)]
    pub push: PushArgs,

    #[command(flatten)]
    pub mail: MailArgs,

    #[command(flatten)]
    pub retention: RetentionArgs,

    #[command(flatten)]
    pub checkins: CheckinArgs,

    #[command(flatten)]
    pub consents: ConsentArgs,

    /// A TOML file of the OpenID Connect providers people may sign in with.
    #[arg(long, env = "RELAIS_OIDC_PROVIDERS")]
    pub oidc_providers: Option<PathBuf>,

    /// The app's URIs a provider's sign-in may return to, comma-separated
    /// (`fr.relais.app:/auth`).
    #[arg(long, env = "RELAIS_APP_REDIRECT_URIS", value_delimiter = ',')]
    pub app_redirect_uris: Vec<String>,

    /// Only peer supporters whose profession a provider verified see and take support requests.
    #[arg(
        long,
        env = "RELAIS_SUPPORTERS_MUST_BE_VERIFIED",
        default_value_t = false
    )]
    pub supporters_must_be_verified: bool,

    /// Minutes a support request may wait for a supporter before the requester is given the
    /// support resources and supporters are reminded (once).
    #[arg(long, env = "RELAIS_SUPPORT_WAIT_MINUTES", default_value_t = 30)]
    pub support_wait_minutes: u32,
}

/// Where mails go.
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// `smtp://[user[:password]@]host[:port]` (STARTTLS required; port 587 by default) or
    /// `smtps://…` (TLS from the start; 465). Unset: mails are written as `.eml` files
    /// (development only).
    #[arg(long, env = "RELAIS_SMTP_URL", hide_env_values = true, value_parser = secret_text)]
    pub smtp_url: Option<SecretString>,

    /// A file holding the SMTP password, instead of the URL.
    #[arg(long, env = "RELAIS_SMTP_PASSWORD_FILE")]
    pub smtp_password_file: Option<PathBuf>,

    /// The sender of every mail.
    #[arg(long, env = "RELAIS_MAIL_FROM", default_value = MailConfig::DEFAULT_FROM)]
    pub mail_from: String,

    /// Without SMTP, the folder `.eml` files are written to (default: `<database file>.mail/`
    /// on SQLite, `./relais-mail/` on PostgreSQL).
    #[arg(long, env = "RELAIS_MAIL_DIR")]
    pub mail_dir: Option<PathBuf>,

    /// Mail dispatchers in this process (`0`: none; SQLite runs one at most).
    #[arg(long, env = "RELAIS_MAIL_WORKERS", default_value_t = 1)]
    pub mail_workers: usize,
}

/// How mails leave.
#[derive(Debug, Clone)]
pub enum MailTransportConfig {
    /// An SMTP relay. `tls`: STARTTLS (`smtp://`) or TLS from the start (`smtps://`); a loopback
    /// relay outside production may go without (the tests' server).
    Smtp {
        host: String,
        port: u16,
        implicit_tls: bool,
        require_tls: bool,
        user: Option<String>,
        password: Option<SecretString>,
    },
    /// Development: one `.eml` file per mail in this folder.
    Folder(PathBuf),
}

/// Validated mail settings.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub transport: MailTransportConfig,
    /// `Name <address>`, checked.
    pub from: String,
    /// The first wait after a refusal or an unreachable relay; it doubles up to 30 minutes.
    pub retry_base: Duration,
    /// Mail dispatchers this process runs.
    pub workers: usize,
}

impl MailConfig {
    pub const DEFAULT_FROM: &str = "Relais <no-reply@relais.invalid>";
    pub const RETRY_BASE: Duration = Duration::from_secs(30);

    /// Development's transport: `.eml` files in `folder`, from the default sender.
    pub fn folder(folder: PathBuf) -> Self {
        Self {
            transport: MailTransportConfig::Folder(folder),
            from: Self::DEFAULT_FROM.into(),
            retry_base: Self::RETRY_BASE,
            workers: 1,
        }
    }

    fn from_args(
        args: MailArgs,
        database_url: &DatabaseUrl,
        production: bool,
    ) -> Result<Self, ConfigError> {
        if args.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::Mail(format!(
                "RELAIS_MAIL_FROM: `{}` is not a mailbox such as Relais <no-reply@example.org>",
                args.mail_from
            )));
        }
        let password = match &args.smtp_password_file {
            Some(path) => Some(SecretString::from(
                std::fs::read_to_string(path)
                    .map_err(|cause| {
                        ConfigError::Mail(format!(
                            "RELAIS_SMTP_PASSWORD_FILE: {}: {cause}",
                            path.display()
                        ))
                    })?
                    .trim_end()
                    .to_owned(),
            )),
            None => None,
        };
        let transport = match &args.smtp_url {
            Some(url) => smtp_transport(url.expose_secret(), password, production)?,
            None if production => {
                return Err(ConfigError::Mail(
                    "RELAIS_SMTP_URL must be set when RELAIS_ENV=production".into(),
                ));
            }
            None => {
                MailTransportConfig::Folder(match (args.mail_dir, database_url.sqlite_path()) {
                    (Some(dir), _) => dir,
                    (None, Some(database)) => PathBuf::from(format!("{}.mail", database.display())),
                    (None, None) => PathBuf::from("relais-mail"),
                })
            }
        };
        Ok(Self {
            transport,
            from: args.mail_from,
            retry_base: Self::RETRY_BASE,
            workers: args.mail_workers,
        })
    }
}

fn smtp_transport(
    given: &str,
    password_file: Option<SecretString>,
    production: bool,
) -> Result<MailTransportConfig, ConfigError> {
    let refused = || ConfigError::Mail("RELAIS_SMTP_URL is not smtp://host or smtps://host".into());
    let url = url::Url::parse(given).map_err(|_| refused())?;
    let implicit_tls = match url.scheme() {
        "smtp" => false,
        "smtps" => true,
        _ => return Err(refused()),
    };
    let host = url
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or_else(refused)?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    let user = (!url.username().is_empty()).then(|| url.username().to_owned());
    let password = password_file.or_else(|| url.password().map(SecretString::from));
    Ok(MailTransportConfig::Smtp {
        host: host.trim_matches(['[', ']']).to_owned(),
        port: url.port().unwrap_or(if implicit_tls { 465 } else { 587 }),
        implicit_tls,
        require_tls: production || !loopback,
        user,
        password,
    })
}

/// The texts people agree to, by version: a new version asks everyone again.
#[derive(Debug, Clone, Args)]
pub struct ConsentArgs {
    /// The version of the terms of use the app shows.
    #[arg(long, env = "RELAIS_TERMS_VERSION", default_value = ConsentVersions::FIRST)]
    pub terms_version: String,

    /// The version of the notice on health data (check-ins) the app shows.
    #[arg(
        long,
        env = "RELAIS_HEALTH_DATA_NOTICE_VERSION",
        default_value = ConsentVersions::FIRST
    )]
    pub health_data_notice_version: String,
}

/// The current version of each text people agree to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentVersions {
    pub terms: String,
    pub health_data: String,
}

impl ConsentVersions {
    /// The version of every text until a deployment names another.
    pub const FIRST: &str = "1";
    /// Longest version name accepted.
    pub const MAX_LENGTH: usize = 64;

    pub fn from_args(args: ConsentArgs) -> Result<Self, ConfigError> {
        let version = |name: &'static str, given: String| {
            let version = given.trim();
            if version.is_empty()
                || version.chars().count() > Self::MAX_LENGTH
                || version.chars().any(char::is_control)
            {
                return Err(ConfigError::ConsentVersion(name));
            }
            Ok(version.to_owned())
        };
        Ok(Self {
            terms: version("RELAIS_TERMS_VERSION", args.terms_version)?,
            health_data: version(
                "RELAIS_HEALTH_DATA_NOTICE_VERSION",
                args.health_data_notice_version,
            )?,
        })
    }
}

impl Default for ConsentVersions {
    fn default() -> Self {
        Self {
            terms: Self::FIRST.into(),
            health_data: Self::FIRST.into(),
        }
    }
}

/// How check-ins are aggregated and where help is listed.
#[derive(Debug, Clone, Args)]
pub struct CheckinArgs {
    /// k: fewest people counted in a group's wellbeing release (never below 3).
    #[arg(long, env = "RELAIS_CHECKIN_MIN_RESPONDENTS", default_value_t = 5)]
    pub checkin_min_respondents: usize,

    /// Weeks in one wellbeing period: a group's figure covers this many weeks (1-4).
    #[arg(long, env = "RELAIS_WELLBEING_PERIOD_WEEKS", default_value_t = 4)]
    pub wellbeing_period_weeks: u32,

    /// Privacy loss ε of one group's release (its noisy sum and count together).
    #[arg(long, env = "RELAIS_WELLBEING_EPSILON", default_value_t = 3.5)]
    pub wellbeing_epsilon: f64,

    /// Widest margin a release may have and be shown, in percent of the instrument's range
    /// (points of WHO-5's 0-100).
    #[arg(long, env = "RELAIS_WELLBEING_MAX_MARGIN", default_value_t = 20.0)]
    pub wellbeing_max_margin: f64,

    /// A folder with a JSON file of support services per language (`fr.json`, `en.json`),
    /// replacing `seeds/support_resources/`.
    #[arg(long, env = "RELAIS_SUPPORT_RESOURCES")]
    pub support_resources: Option<PathBuf>,
}

/// Validated check-in settings.
#[derive(Debug, Clone)]
pub struct CheckinConfig {
    /// k: a release counting fewer people is suppressed.
    pub min_respondents: usize,
    /// Weeks per wellbeing period.
    pub period_weeks: u32,
    /// ε of one release.
    pub epsilon: f64,
    /// Widest margin shown, in percent of an instrument's range.
    pub max_margin: f64,
    pub support_resources: Option<PathBuf>,
}

impl CheckinConfig {
    /// k may be raised, never set below this.
    pub const MIN_RESPONDENTS_FLOOR: usize = 3;
    pub const PERIOD_WEEKS_MAX: u32 = 4;
    /// Beyond this a release would protect next to nothing: refused rather than allowed by typo.
    pub const EPSILON_MAX: f64 = 10.0;
    pub const DEFAULT: CheckinConfig = CheckinConfig {
        min_respondents: 5,
        period_weeks: 4,
        epsilon: 3.5,
        max_margin: 20.0,
        support_resources: None,
    };

    fn from_args(args: CheckinArgs) -> Result<Self, ConfigError> {
        if args.checkin_min_respondents < Self::MIN_RESPONDENTS_FLOOR {
            return Err(ConfigError::MinRespondents);
        }
        if !(1..=Self::PERIOD_WEEKS_MAX).contains(&args.wellbeing_period_weeks) {
            return Err(ConfigError::Wellbeing(
                "RELAIS_WELLBEING_PERIOD_WEEKS must be between 1 and 4",
            ));
        }
        if !(args.wellbeing_epsilon > 0.0 && args.wellbeing_epsilon <= Self::EPSILON_MAX) {
            return Err(ConfigError::Wellbeing(
                "RELAIS_WELLBEING_EPSILON must be above 0 and at most 10",
            ));
        }
        if !(args.wellbeing_max_margin > 0.0 && args.wellbeing_max_margin <= 100.0) {
            return Err(ConfigError::Wellbeing(
                "RELAIS_WELLBEING_MAX_MARGIN must be above 0 and at most 100",
            ));
        }
        Ok(Self {
            min_respondents: args.checkin_min_respondents,
            period_weeks: args.wellbeing_period_weeks,
            epsilon: args.wellbeing_epsilon,
            max_margin: args.wellbeing_max_margin,
            support_resources: args.support_resources,
        })
    }
}

/// How long records are kept once they have served; the hourly purge deletes them after.
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// Days a revoked or expired session is kept (times shown in the export), then deleted.
    #[arg(
        long,
        env = "RELAIS_RETENTION_ENDED_SESSIONS_DAYS",
        default_value_t = 30
    )]
    pub retention_ended_sessions_days: u32,

    /// Days a read notification is kept.
    #[arg(
        long,
        env = "RELAIS_RETENTION_READ_NOTIFICATIONS_DAYS",
        default_value_t = 90
    )]
    pub retention_read_notifications_days: u32,

    /// Days a push is kept once sent, failed or dropped.
    #[arg(
        long,
        env = "RELAIS_RETENTION_FINISHED_PUSHES_DAYS",
        default_value_t = 14
    )]
    pub retention_finished_pushes_days: u32,

    /// Days a device is kept after the app last registered it.
    #[arg(
        long,
        env = "RELAIS_RETENTION_IDLE_DEVICES_DAYS",
        default_value_t = 270
    )]
    pub retention_idle_devices_days: u32,

    /// Days a check-in is kept (24 months by default), then deleted.
    #[arg(long, env = "RELAIS_RETENTION_CHECKINS_DAYS", default_value_t = 730)]
    pub retention_checkins_days: u32,

    /// Days a closed or withdrawn support request is kept with its conversation.
    #[arg(long, env = "RELAIS_RETENTION_SUPPORT_DAYS", default_value_t = 90)]
    pub retention_support_days: u32,

    /// Days an outreach suggestion is kept, whatever became of it (at least 7: the weekly limits
    /// count a week of them).
    #[arg(long, env = "RELAIS_RETENTION_OUTREACH_DAYS", default_value_t = 30)]
    pub retention_outreach_days: u32,
}

/// Validated retention periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub ended_sessions: TimeDelta,
    pub read_notifications: TimeDelta,
    pub finished_pushes: TimeDelta,
    pub idle_devices: TimeDelta,
    pub checkins: TimeDelta,
    pub support: TimeDelta,
    pub outreach: TimeDelta,
}

impl Retention {
    pub const DEFAULT: Retention = Retention {
        ended_sessions: TimeDelta::days(30),
        read_notifications: TimeDelta::days(90),
        finished_pushes: TimeDelta::days(14),
        idle_devices: TimeDelta::days(270),
        checkins: TimeDelta::days(730),
        support: TimeDelta::days(90),
        outreach: TimeDelta::days(30),
    };
    /// The outreach limits count a week of suggestions: they must be kept that long.
    const OUTREACH_DAYS_MIN: u32 = 7;

    pub fn from_args(args: &RetentionArgs) -> Result<Self, ConfigError> {
        let days = |value: u32, name: &'static str| match value {
            0 => Err(ConfigError::Retention(name)),
            days => Ok(TimeDelta::days(i64::from(days))),
        };
        Ok(Self {
            ended_sessions: days(
                args.retention_ended_sessions_days,
                "RELAIS_RETENTION_ENDED_SESSIONS_DAYS",
            )?,
            read_notifications: days(
                args.retention_read_notifications_days,
                "RELAIS_RETENTION_READ_NOTIFICATIONS_DAYS",
            )?,
            finished_pushes: days(
                args.retention_finished_pushes_days,
                "RELAIS_RETENTION_FINISHED_PUSHES_DAYS",
            )?,
            idle_devices: days(
                args.retention_idle_devices_days,
                "RELAIS_RETENTION_IDLE_DEVICES_DAYS",
            )?,
            checkins: days(
                args.retention_checkins_days,
                "RELAIS_RETENTION_CHECKINS_DAYS",
            )?,
            support: days(args.retention_support_days, "RELAIS_RETENTION_SUPPORT_DAYS")?,
            outreach: if args.retention_outreach_days < Self::OUTREACH_DAYS_MIN {
                return Err(ConfigError::OutreachRetention);
            } else {
                TimeDelta::days(i64::from(args.retention_outreach_days))
            },
        })
    }
}

/// Push delivery settings, shared by `serve` and `worker`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// Firebase service-account JSON; unset, pushes are logged instead of sent.
    #[arg(long, env = "FCM_SERVICE_ACCOUNT")]
    pub fcm_service_account: Option<PathBuf>,

    /// FCM base URL (the OAuth token URL comes from the service account's `token_uri`).
    #[arg(
        long,
        env = "FCM_ENDPOINT",
        default_value = "https://fcm.googleapis.com"
    )]
    pub fcm_endpoint: String,

    /// Dispatcher workers in this process (0: none; run `relais worker` elsewhere). SQLite runs one.
    #[arg(long, env = "RELAIS_PUSH_WORKERS", default_value_t = PushConfig::DEFAULT.workers)]
    pub push_workers: usize,

    /// Sends tried before a push ends FAILED.
    #[arg(long, env = "RELAIS_PUSH_MAX_ATTEMPTS", default_value_t = PushConfig::DEFAULT.max_attempts)]
    pub push_max_attempts: u32,

    /// First retry delay in milliseconds; it doubles with each retry.
    #[arg(long, env = "RELAIS_PUSH_RETRY_BASE_MS", default_value_t = PushConfig::DEFAULT.retry_base.as_millis() as u64)]
    pub push_retry_base_ms: u64,

    /// Longest retry delay in seconds.
    #[arg(long, env = "RELAIS_PUSH_RETRY_CAP_SECS", default_value_t = PushConfig::DEFAULT.retry_cap.as_secs())]
    pub push_retry_cap_secs: u64,

    /// Time allowed for one FCM request, in seconds.
    #[arg(long, env = "RELAIS_PUSH_TIMEOUT_SECS", default_value_t = PushConfig::DEFAULT.timeout.as_secs())]
    pub push_timeout_secs: u64,

    /// How long a claimed push is reserved for its dispatcher, in seconds; after that, another
    /// takes it (the first one died).
    #[arg(long, env = "RELAIS_PUSH_LEASE_SECS", default_value_t = PushConfig::DEFAULT.lease.as_secs())]
    pub push_lease_secs: u64,
}

/// Validated push delivery settings.
#[derive(Debug, Clone)]
pub struct PushConfig {
    pub service_account: Option<PathBuf>,
    pub endpoint: String,
    pub workers: usize,
    pub max_attempts: u32,
    pub retry_base: Duration,
    pub retry_cap: Duration,
    pub timeout: Duration,
    pub lease: Duration,
    /// Pushes claimed at once by one worker.
    pub batch_size: i64,
    /// Pushes of a batch in flight at once.
    pub concurrency: usize,
    /// How often an idle worker looks for due pushes it was not told about (scheduled ones).
    pub poll_interval: Duration,
}

impl PushConfig {
    pub const DEFAULT: PushConfig = PushConfig {
        service_account: None,
        endpoint: String::new(),
        workers: 2,
        max_attempts: 8,
        retry_base: Duration::from_secs(5),
        retry_cap: Duration::from_secs(15 * 60),
        timeout: Duration::from_secs(10),
        lease: Duration::from_secs(60),
        batch_size: 100,
        concurrency: 32,
        poll_interval: Duration::from_secs(1),
    };

    /// Until when, after claiming, a dispatcher may start a send: one timeout before the lease
    /// ends, with one more timeout to record the outcome, so that no send outlives the lease and
    /// no other dispatcher takes a push still being sent.
    pub fn send_window(&self) -> Duration {
        self.lease.saturating_sub(self.timeout.saturating_mul(2))
    }

    /// Pushes one claim takes: what its concurrent sends can finish within the send window when
    /// each takes a whole timeout, at most `batch_size`.
    pub fn claim_size(&self) -> i64 {
        let rounds = (self.send_window().as_millis() / self.timeout.as_millis().max(1)).max(1);
        let size = (self.concurrency as u128).saturating_mul(rounds);
        i64::try_from(size)
            .unwrap_or(i64::MAX)
            .clamp(1, self.batch_size.max(1))
    }

    pub fn from_args(args: PushArgs) -> Result<Self, ConfigError> {
        if args.push_max_attempts == 0 {
            return Err(ConfigError::Push(
                "RELAIS_PUSH_MAX_ATTEMPTS must be at least 1",
            ));
        }
        if args.push_lease_secs < args.push_timeout_secs.saturating_mul(3) {
            return Err(ConfigError::Push(
                "RELAIS_PUSH_LEASE_SECS must be at least three times RELAIS_PUSH_TIMEOUT_SECS",
            ));
        }
        Ok(Self {
            service_account: args.fcm_service_account,
            endpoint: args.fcm_endpoint,
            workers: args.push_workers,
            max_attempts: args.push_max_attempts,
            retry_base: Duration::from_millis(args.push_retry_base_ms),
            retry_cap: Duration::from_secs(args.push_retry_cap_secs),
            timeout: Duration::from_secs(args.push_timeout_secs),
            lease: Duration::from_secs(args.push_lease_secs),
            ..Self::DEFAULT
        })
    }
}

/// Why a configuration cannot be used; the message names the variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("DATABASE_URL: `{0}` is neither sqlite://PATH nor postgres://…")]
    DatabaseUrl(String),
    #[error("RELAIS_ADDR: `{0}` is not a socket address such as 127.0.0.1:8080")]
    Addr(String),
    #[error("RELAIS_SECRET (or RELAIS_SECRET_FILE) must be set {0}")]
    MissingSecret(&'static str),
    #[error("RELAIS_SECRET must be at least {MIN_SECRET_BYTES} bytes long")]
    ShortSecret,
    #[error("RELAIS_SECRET must not be blank or one character repeated in production")]
    WeakSecret,
    #[error("RELAIS_SECRET_FILE: {0}")]
    SecretFile(String),
    #[error("RELAIS_AUTH_RATE_PER_MINUTE must be at least 1")]
    AuthRate,
    #[error("RELAIS_SESSION_CONCURRENCY must be at least 1")]
    SessionConcurrency,
    #[error("RELAIS_STATEMENT_TIMEOUT_MS must be at least 1")]
    StatementTimeout,
    #[error("RELAIS_TRUSTED_PROXIES: `{0}` is not an IP address")]
    TrustedProxy(String),
    #[error("RELAIS_PUBLIC_URL: `{0}` is not an http(s) URL")]
    PublicUrl(String),
    #[error("RELAIS_CORS_ORIGINS: `{0}` is not an origin such as https://app.example.org")]
    CorsOrigin(String),
    #[error("RELAIS_HTTP_WORKERS must be at least 1")]
    HttpWorkers,
    #[error("{0}")]
    Push(&'static str),
    #[error("{0} must be at least 1")]
    Retention(&'static str),
    #[error("RELAIS_CHECKIN_MIN_RESPONDENTS must be at least 3")]
    MinRespondents,
    #[error("{0}")]
    Wellbeing(&'static str),
    #[error("RELAIS_RETENTION_OUTREACH_DAYS must be at least 7")]
    OutreachRetention,
    #[error("{0}")]
    Mail(String),
    #[error("{0} must be 1 to 64 printable characters")]
    ConsentVersion(&'static str),
    #[error("{0}")]
    Identity(String),
}

pub const MIN_SECRET_BYTES: usize = 32;

/// Where the instance secret comes from.
#[derive(Debug, Clone)]
pub enum SecretSource {
    /// `RELAIS_SECRET`.
    Given(SecretString),
    /// A file; `generate` when it may be created (development on SQLite).
    File { path: PathBuf, generate: bool },
}

/// Validated settings of the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    pub database_url: DatabaseUrl,
    /// How long one database statement may run.
    pub statement_timeout: Duration,
    pub environment: Environment,
    pub secret: SecretSource,
    pub auth_rate_per_minute: NonZeroU32,
    /// Requests of one session that run at once.
    pub session_concurrency: NonZeroU32,
    pub trusted_proxies: Vec<IpAddr>,
    /// Base of the links the server hands out, without a trailing slash.
    pub public_url: String,
    /// `None`: one per core.
    pub http_workers: Option<usize>,
    /// Browser origins allowed by CORS, as `scheme://host[:port]`; empty: CORS off.
    pub cors_origins: Vec<String>,
    /// `Strict-Transport-Security` max-age, when configured.
    pub hsts_seconds: Option<u64>,
    /// What `/metrics` requires; `None`: not served.
    pub metrics_token: Option<SecretString>,
    /// Not configurable from outside: the binary always hashes at OWASP's cost.
    pub password_cost: HashCost,
    pub push: PushConfig,
    pub mail: MailConfig,
    pub retention: Retention,
    pub checkins: CheckinConfig,
    pub consents: ConsentVersions,
    pub identity: IdentityConfig,
    pub supporters_must_be_verified: bool,
    /// How long a support request waits before it is followed up.
    pub support_wait: TimeDelta,
}

impl ServerConfig {
    /// The default wait before a support request is followed up.
    pub const SUPPORT_WAIT_DEFAULT: TimeDelta = TimeDelta::minutes(30);

    pub fn from_args(args: ServeArgs) -> Result<Self, ConfigError> {
        let addr = args
            .addr
            .parse()
            .map_err(|_| ConfigError::Addr(args.addr.clone()))?;
        let production = args.environment == Environment::Production;
        let statement_timeout = args.database.statement_timeout()?;
        let database_url = args.database.database_url;
        if !database_url.is_postgres() && database_url.sqlite_path().is_none() {
            return Err(ConfigError::DatabaseUrl(crate::db::redact(
                database_url.as_str(),
            )));
        }
        let secret = match (args.secret, args.secret_file) {
            (Some(secret), _) => {
                check_secret(secret.expose_secret().as_bytes(), production)?;
                SecretSource::Given(secret)
            }
            (None, Some(path)) => SecretSource::File {
                generate: !production && database_url.sqlite_path().is_some(),
                path,
            },
            (None, None) => match database_url.sqlite_path() {
                Some(_) if production => {
                    return Err(ConfigError::MissingSecret("when RELAIS_ENV=production"));
                }
                Some(database) => SecretSource::File {
                    path: PathBuf::from(format!("{}.secret", database.display())),
                    generate: true,
                },
                None => return Err(ConfigError::MissingSecret("on PostgreSQL")),
            },
        };
        let trusted_proxies = args
            .trusted_proxies
            .iter()
            .map(|text| text.trim())
            .filter(|text| !text.is_empty())
            .map(|text| {
                text.parse()
                    .map_err(|_| ConfigError::TrustedProxy(text.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        let mail = MailConfig::from_args(args.mail, &database_url, production)?;
        Ok(Self {
            addr,
            database_url,
            statement_timeout,
            environment: args.environment,
            secret,
            auth_rate_per_minute: NonZeroU32::new(args.auth_rate_per_minute)
                .ok_or(ConfigError::AuthRate)?,
            session_concurrency: NonZeroU32::new(args.session_concurrency)
                .ok_or(ConfigError::SessionConcurrency)?,
            trusted_proxies,
            public_url: public_url(args.public_url.as_deref(), &addr)?,
            http_workers: match args.http_workers {
                Some(0) => return Err(ConfigError::HttpWorkers),
                other => other,
            },
            cors_origins: args
                .cors_origins
                .iter()
                .map(|origin| origin.trim())
                .filter(|origin| !origin.is_empty())
                .map(cors_origin)
                .collect::<Result<_, _>>()?,
            hsts_seconds: args.hsts_seconds,
            metrics_token: args.metrics_token,
            password_cost: HashCost::OWASP,
            push: PushConfig::from_args(args.push)?,
            mail,
            retention: Retention::from_args(&args.retention)?,
            checkins: CheckinConfig::from_args(args.checkins)?,
            consents: ConsentVersions::from_args(args.consents)?,
            identity: IdentityConfig::load(
                args.oidc_providers.as_deref(),
                &args.app_redirect_uris,
                production,
            )?,
            supporters_must_be_verified: args.supporters_must_be_verified,
            support_wait: match args.support_wait_minutes {
                0 => return Err(ConfigError::Retention("RELAIS_SUPPORT_WAIT_MINUTES")),
                minutes => TimeDelta::minutes(i64::from(minutes)),
            },
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}

fn public_url(given: Option<&str>, addr: &SocketAddr) -> Result<String, ConfigError> {
    let Some(given) = given.map(str::trim).filter(|given| !given.is_empty()) else {
        return Ok(format!("http://{addr}"));
    };
    match reqwest::Url::parse(given) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(given.trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError::PublicUrl(given.to_owned())),
    }
}

/// An origin as browsers send it: http(s), a host, an optional port, nothing after.
fn cors_origin(given: &str) -> Result<String, ConfigError> {
    match reqwest::Url::parse(given) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some()
                && url.path() == "/"
                && url.query().is_none()
                && !given.ends_with('/') =>
        {
            Ok(url.origin().ascii_serialization())
        }
        _ => Err(ConfigError::CorsOrigin(given.to_owned())),
    }
}

/// Refuses a secret too short to key HMAC-SHA256 well, and in production one that is blank or a
/// single character repeated (a placeholder left in place).
pub fn check_secret(secret: &[u8], production: bool) -> Result<(), ConfigError> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(ConfigError::ShortSecret);
    }
    let blank = secret.iter().all(u8::is_ascii_whitespace);
    let repeated = secret.iter().all(|byte| *byte == secret[0]);
    if production && (blank || repeated) {
        return Err(ConfigError::WeakSecret);
    }
    Ok(())
}

/// How much work one password hash costs (argon2id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub passes: u32,
}

impl HashCost {
    /// OWASP's recommendation for argon2id: 19 MiB, 2 passes, 1 lane. The only cost the `relais`
    /// binary uses; the test suite builds its servers with a cheaper one.
    pub const OWASP: HashCost = HashCost {
        memory_kib: 19 * 1024,
        passes: 2,
    };
}

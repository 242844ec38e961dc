//! Configuration from flags and `ORGD_*` environment variables; every value has a default,
//! so `orgd serve` runs with nothing set.
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use org_http::rate_limit::{self, Rate};

/// orgd — multi-tenant organization management service.
#[derive(Debug, Parser)]
#[command(name = "orgd", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations, then serve HTTP.
    // Boxed: `Config` dwarfs the other variants (clippy::large_enum_variant).
    Serve(Box<Config>),
    /// Run pending migrations and exit.
    Migrate(DbArgs),
    /// Create (or promote) a superuser and exit.
    BootstrapAdmin {
        /// Store to use.
        #[command(flatten)]
        db: DbArgs,
        /// The admin's email.
        #[arg(long)]
        email: String,
        /// The admin's password (8+ characters).
        #[arg(long, env = "ORGD_BOOTSTRAP_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Print the OpenAPI document (`openapi/openapi.json` is this output).
    Openapi,
}

/// Database connection settings.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// `sqlite://FILE?mode=rwc` (default: `orgd.db` in the working directory) or `postgres://…`.
    #[arg(
        long,
        env = "ORGD_DATABASE_URL",
        default_value = "sqlite://orgd.db?mode=rwc",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Connections in all; on PostgreSQL split between the HTTP workers' own pools.
    #[arg(long, env = "ORGD_DB_POOL", default_value_t = 10)]
    pub db_pool: u32,
    /// Longest wait for a pooled connection before answering 503.
    #[arg(long, env = "ORGD_DB_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub db_timeout: Duration,
}

/// Who may create organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrgCreationArg {
    /// Every user but service accounts.
    Anyone,
    /// Superusers only.
    Superusers,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything `orgd serve` needs.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "ORGD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Store settings.
    #[command(flatten)]
    pub db: DbArgs,
    /// Whether `POST /api/auth/signup` is open.
    #[arg(long, env = "ORGD_ALLOW_SIGNUP", default_value_t = true, action = ArgAction::Set)]
    pub allow_signup: bool,
    /// Who may create organizations.
    #[arg(long, env = "ORGD_ORG_CREATION", value_enum, default_value = "anyone")]
    pub org_creation: OrgCreationArg,
    /// Most organizations one user may own (unlimited when unset).
    #[arg(long, env = "ORGD_MAX_ORGS_PER_OWNER")]
    pub max_orgs_per_owner: Option<u32>,
    /// Session lifetime (`7d`, `12h`, …).
    #[arg(long, env = "ORGD_SESSION_TTL", default_value = "7d", value_parser = humantime::parse_duration)]
    pub session_ttl: Duration,
    /// Invitation lifetime.
    #[arg(long, env = "ORGD_INVITATION_TTL", default_value = "7d", value_parser = humantime::parse_duration)]
    pub invitation_ttl: Duration,
    /// Public base URL of this server, for links in invitation messages (default:
    /// `http://` + the bind address).
    #[arg(long, env = "ORGD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// SMTP relay for outgoing mail, in lettre's URL form: `smtp://host:25` (plain text),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`.
    /// Unset: mail is kept in the outbox table, readable at `GET /api/outbox`.
    #[arg(long, env = "ORGD_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of outgoing mail (`Name <address>` or an address).
    #[arg(
        long,
        env = "ORGD_MAIL_FROM",
        default_value = "orgd <noreply@localhost>"
    )]
    pub mail_from: String,
    /// Largest accepted request body; larger ones answer 413.
    #[arg(long, env = "ORGD_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Allowed CORS origins, comma separated (CORS is off when empty).
    #[arg(long, env = "ORGD_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Login, signup, invitation-token and two-factor attempts per client address
    /// (`N/period`, e.g. `30/1m`, or `off`). The address is the TCP peer: behind a reverse
    /// proxy every client shares the proxy's budget.
    #[arg(long, env = "ORGD_AUTH_RATE_PER_IP", default_value = rate_limit::DEFAULT_PER_IP)]
    pub auth_rate_per_ip: Rate,
    /// The same attempts per account (the login email, or the signed-in user), or `off`.
    #[arg(long, env = "ORGD_AUTH_RATE_PER_ACCOUNT", default_value = rate_limit::DEFAULT_PER_ACCOUNT)]
    pub auth_rate_per_account: Rate,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "ORGD_WORKERS")]
    pub workers: Option<usize>,
    /// Log filter (`info`, `orgd=debug,sea_orm=warn`, …).
    #[arg(long, env = "ORGD_LOG", default_value = "info")]
    pub log: String,
    /// Log format.
    #[arg(long, env = "ORGD_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Superuser created on first start when no account has this email.
    #[arg(long, env = "ORGD_BOOTSTRAP_ADMIN_EMAIL")]
    pub bootstrap_admin_email: Option<String>,
    /// Its password.
    #[arg(long, env = "ORGD_BOOTSTRAP_ADMIN_PASSWORD", hide_env_values = true)]
    pub bootstrap_admin_password: Option<String>,
}

impl Config {
    /// The defaults with another database and bind address, and no attempt limits: tests
    /// log in many times from one address (`tests/api/rate_limit.rs` sets its own).
    pub fn for_database(database_url: &str, bind: &str) -> Self {
        let cli = Cli::parse_from([
            "orgd",
            "serve",
            "--database-url",
            database_url,
            "--bind",
            bind,
            "--auth-rate-per-ip",
            "off",
            "--auth-rate-per-account",
            "off",
        ]);
        match cli.command {
            Command::Serve(c) => *c,
            _ => unreachable!("parsed a serve command"),
        }
    }

    /// The domain services' settings.
    pub fn domain(&self) -> org_domain::services::Config {
        let ttl = |d: Duration| time::Duration::try_from(d).unwrap_or(time::Duration::days(7));
        org_domain::services::Config {
            allow_signup: self.allow_signup,
            org_creation: match self.org_creation {
                OrgCreationArg::Anyone => org_domain::services::OrgCreation::Anyone,
                OrgCreationArg::Superusers => org_domain::services::OrgCreation::Superusers,
            },
            max_orgs_per_owner: self.max_orgs_per_owner,
            session_ttl: ttl(self.session_ttl),
            invitation_ttl: ttl(self.invitation_ttl),
            public_url: self.public_url.as_deref().map_or_else(
                || format!("http://{}", self.bind),
                |u| u.trim_end_matches('/').to_owned(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Config {
        let cli = Cli::parse_from(["orgd", "serve"].iter().chain(args));
        match cli.command {
            Command::Serve(c) => *c,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn mail_settings_default_to_the_outbox() {
        let c = serve(&[]);
        assert_eq!(c.smtp_url, None);
        assert_eq!(c.mail_from, "orgd <noreply@localhost>");
    }

    #[test]
    fn attempt_limits_default_to_production_values_and_can_be_turned_off() {
        let c = serve(&[]);
        assert_eq!(c.auth_rate_per_ip.to_string(), "30/1m");
        assert_eq!(c.auth_rate_per_account.to_string(), "10/1m");
        let c = serve(&[
            "--auth-rate-per-ip",
            "off",
            "--auth-rate-per-account",
            "5/minute",
        ]);
        assert_eq!(c.auth_rate_per_ip, Rate::Off);
        assert_eq!(c.auth_rate_per_account.to_string(), "5/1m");
        let tests = Config::for_database("sqlite::memory:", "127.0.0.1:0");
        assert_eq!(
            (tests.auth_rate_per_ip, tests.auth_rate_per_account),
            (Rate::Off, Rate::Off)
        );
        assert!(Cli::try_parse_from(["orgd", "serve", "--auth-rate-per-ip", "0/1m"]).is_err());
    }

    #[test]
    fn mail_settings_parse() {
        let c = serve(&[
            "--smtp-url",
            "smtps://u:p@mail.example.com:465",
            "--mail-from",
            "Acme <noreply@example.com>",
        ]);
        assert_eq!(
            c.smtp_url.as_deref(),
            Some("smtps://u:p@mail.example.com:465")
        );
        assert_eq!(c.mail_from, "Acme <noreply@example.com>");
    }
}

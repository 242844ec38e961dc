//! The composition root: store → ports → services → HTTP server.
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use anyhow::Context;
use org_domain::ports::Mailer;
use org_domain::services::{Ports, Services};
use org_domain::values::Email;
use org_http::rate_limit::AuthLimits;
use org_http::{AppState, HttpConfig};
use org_infra::{Database, SmtpMailer};

use crate::config::{Config, DbArgs, LogFormat};

/// Installs the global tracing subscriber (idempotent, so tests may call it repeatedly).
pub fn init_tracing(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Connects to the configured store.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(db: &DbArgs) -> anyhow::Result<Database> {
    Database::connect(&db.database_url, db.db_pool, db.db_timeout)
        .await
        .context("connecting to the database")
}

/// The OpenAPI document as pretty JSON (what `orgd openapi` prints).
pub fn openapi_json() -> String {
    org_http::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// A built, bound, not yet awaited server.
pub struct Application {
    port: u16,
    address: String,
    server: Server,
    database: Database,
}

impl Application {
    /// Connects, migrates, bootstraps the admin if configured, binds and builds the server.
    ///
    /// # Errors
    /// When the store is unreachable, migrations fail or the address cannot be bound.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Mail settings first: a typo there should not wait for a database (or migrate it).
        let smtp = smtp_mailer(&config)?;
        let database = connect(&config.db).await?;
        database.migrate().await.context("running migrations")?;
        let services = Services::new(ports(&database, smtp.as_ref()), config.domain());
        if let (Some(email), Some(password)) = (
            &config.bootstrap_admin_email,
            &config.bootstrap_admin_password,
        ) {
            bootstrap(&services, &database, email, password).await?;
        }
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let local = listener.local_addr()?;
        // Built once, before the workers: every worker's state clones it and so counts
        // against the same budget (a limiter per worker would multiply the limits).
        let http = HttpConfig {
            max_body_bytes: config.max_body_bytes,
            cors_origins: config.cors_origins.clone(),
            auth_limits: AuthLimits::new(config.auth_rate_per_ip, config.auth_rate_per_account),
        };
        let state = AppState {
            services,
            config: http.clone(),
        };
        let workers = config
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
            .max(1);
        let per_worker = WorkerPools {
            enabled: database.suits_worker_pools(),
            url: config.db.database_url.clone(),
            size: config
                .db
                .db_pool
                .div_ceil(u32::try_from(workers).unwrap_or(u32::MAX))
                .max(1),
            timeout: config.db.db_timeout,
            smtp,
            domain: config.domain(),
            http,
        };
        let server = actix_web::HttpServer::new(move || {
            org_http::app(per_worker.state().unwrap_or_else(|| state.clone()))
        })
        .workers(workers)
        .listen(listener)?
        .run();
        Ok(Self {
            port: local.port(),
            address: local.to_string(),
            server,
            database,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bound address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The store (tests inspect it).
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Serves until SIGINT/SIGTERM.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await.context("serving HTTP")
    }

    /// Splits off the server future (tests spawn it and keep the store handle).
    pub fn into_parts(self) -> (Server, Database) {
        (self.server, self.database)
    }
}

/// How each HTTP worker gets its own lazily opened pool (PostgreSQL), so every query runs
/// on the worker's own single-threaded runtime; `ORGD_DB_POOL` is split between workers.
#[derive(Clone)]
struct WorkerPools {
    enabled: bool,
    url: String,
    size: u32,
    timeout: std::time::Duration,
    /// The one SMTP mailer, shared: it holds no connection tied to a runtime.
    smtp: Option<Arc<dyn Mailer>>,
    domain: org_domain::services::Config,
    http: HttpConfig,
}

impl WorkerPools {
    /// This worker's state with its own pool, or `None` to share the process-wide pool.
    fn state(&self) -> Option<AppState> {
        if !self.enabled {
            return None;
        }
        // Lazy: configures the pool without I/O, so blocking on it here does not block.
        let db = futures::executor::block_on(Database::connect_lazy(
            &self.url,
            self.size,
            self.timeout,
        ))
        .map_err(
            |e| tracing::warn!(error = %e, "per-worker pool unavailable; sharing the main pool"),
        )
        .ok()?;
        let services = Services::new(ports(&db, self.smtp.as_ref()), self.domain.clone());
        Some(AppState {
            services,
            config: self.http.clone(),
        })
    }
}

/// The SMTP mailer when `ORGD_SMTP_URL` is set (an empty value counts as unset), built once
/// for every worker; `None` keeps the database's outbox mailer. Logs which one is in use.
///
/// # Errors
/// When the URL or `ORGD_MAIL_FROM` is malformed — better at startup than at the first
/// invitation.
fn smtp_mailer(config: &Config) -> anyhow::Result<Option<Arc<dyn Mailer>>> {
    let Some(url) = config.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        tracing::info!(
            "mail is kept in the outbox table (GET /api/outbox); set ORGD_SMTP_URL to deliver it"
        );
        return Ok(None);
    };
    let mailer = SmtpMailer::new(url, &config.mail_from)
        .context("configuring mail delivery (ORGD_SMTP_URL, ORGD_MAIL_FROM)")?;
    tracing::info!(smtp = %mailer.endpoint(), from = %config.mail_from, "mail is delivered over SMTP");
    Ok(Some(Arc::new(mailer)))
}

/// The database's ports, with `smtp` in place of the outbox mailer when configured.
fn ports(database: &Database, smtp: Option<&Arc<dyn Mailer>>) -> Ports {
    let mut ports = database.ports();
    if let Some(mailer) = smtp {
        ports.mailer = Arc::clone(mailer);
    }
    ports
}

/// Creates the configured superuser on first start; an existing account is left alone so
/// that a restart never resets a password.
async fn bootstrap(
    services: &Services,
    database: &Database,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    let parsed = Email::parse(email).context("ORGD_BOOTSTRAP_ADMIN_EMAIL")?;
    let existing = database
        .ports()
        .users
        .find_by_email(&parsed)
        .await
        .context("looking up the bootstrap admin")?;
    if existing.is_none() {
        let user = services
            .bootstrap_admin(email, password)
            .await
            .context("creating the bootstrap admin")?;
        tracing::info!(email = %user.email, "bootstrap superuser created");
    }
    Ok(())
}

#[cfg(test)]
#[path = "startup_tests.rs"]
mod tests;

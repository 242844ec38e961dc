//! The composition root: store → ports → services → HTTP server.
use std::net::TcpListener;

use actix_web::dev::Server;
use anyhow::Context;
use org_domain::services::Services;
use org_domain::values::Email;
use org_http::{AppState, HttpConfig};
use org_infra::Database;

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
        let database = connect(&config.db).await?;
        database.migrate().await.context("running migrations")?;
        let services = Services::new(database.ports(), config.domain());
        if let (Some(email), Some(password)) = (
            &config.bootstrap_admin_email,
            &config.bootstrap_admin_password,
        ) {
            bootstrap(&services, &database, email, password).await?;
        }
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let local = listener.local_addr()?;
        let http = HttpConfig {
            max_body_bytes: config.max_body_bytes,
            cors_origins: config.cors_origins.clone(),
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
        let services = Services::new(db.ports(), self.domain.clone());
        Some(AppState {
            services,
            config: self.http.clone(),
        })
    }
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

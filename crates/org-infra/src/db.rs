//! The database handle: connecting (SQLite or PostgreSQL, picked by the URL), migrating,
//! wiring the ports, and the one place where storage errors become domain errors.
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use migration::{Migrator, MigratorTrait};
use org_domain::DomainError;
use org_domain::pagination::PageRequest;
use org_domain::services::Ports;
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{
    ConnectOptions, DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use time::OffsetDateTime;

use crate::audit::SeaAudit;
use crate::invitations::SeaInvitations;
use crate::mail::{OutboxMailer, SeaOutbox};
use crate::members::SeaMembers;
use crate::organizations::SeaOrganizations;
use crate::roles::SeaRoles;
use crate::system::{Argon2Hasher, RandomIds, SystemClock};
use crate::tokens::SeaTokens;
use crate::users::SeaUsers;

pub(crate) mod columns;
pub(crate) mod direct;
pub(crate) mod sql_cache;
pub(crate) mod versions;

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Pooled connections idle at least this long are pinged before use.
const STALE_AFTER: Duration = Duration::from_secs(30);

/// A pool of connections to the orgd database.
#[derive(Clone, Debug)]
pub struct Database {
    conn: DatabaseConnection,
}

impl Database {
    /// Connects to a `sqlite://` or `postgres://` URL. `max_connections` is the pool size;
    /// `acquire_timeout` bounds waiting for a connection.
    ///
    /// SQLite files are created when missing and run in WAL mode with a busy timeout and
    /// foreign keys on; `sqlite::memory:` always uses a single connection that is never
    /// recycled (the database lives and dies with it).
    ///
    /// # Errors
    /// When the URL is malformed or the database unreachable.
    pub async fn connect(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let conn = sea_orm::Database::connect(options(url, max_connections, acquire_timeout))
            .await
            .with_context(|| format!("connecting to the database ({})", redact(url)))?;
        Ok(Self { conn })
    }

    /// A pool that opens its connections on first use, from the runtime that uses them.
    ///
    /// An actix worker is a single-threaded runtime: a connection opened on another runtime
    /// is woken through that runtime's I/O driver, a cross-thread hop on every query. Giving
    /// each worker its own lazily opened pool keeps every query on one thread. Must be
    /// called inside a Tokio runtime (the pool's maintenance task is spawned on it).
    ///
    /// # Errors
    /// When the URL is malformed.
    pub async fn connect_lazy(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let mut opts = options(url, max_connections, acquire_timeout);
        opts.connect_lazy(true);
        let conn = sea_orm::Database::connect(opts)
            .await
            .with_context(|| format!("configuring the database pool ({})", redact(url)))?;
        Ok(Self { conn })
    }

    /// Whether per-worker pools ([`Database::connect_lazy`]) pay off: true for PostgreSQL.
    /// SQLite connections already run on threads of their own, and an in-memory database
    /// exists only inside its single connection, so SQLite keeps one shared pool.
    pub fn suits_worker_pools(&self) -> bool {
        self.conn.get_database_backend() == sea_orm::DbBackend::Postgres
    }

    /// Runs pending migrations.
    ///
    /// # Errors
    /// When a migration fails.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.conn, None)
            .await
            .context("running database migrations")
    }

    /// The underlying sea-orm connection.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// All ports wired to this database, with the system clock, random ids and secrets,
    /// the argon2id hasher and the outbox mailer.
    pub fn ports(&self) -> Ports {
        let db = self.conn.clone();
        Ports {
            users: Arc::new(SeaUsers::new(db.clone())),
            tokens: Arc::new(SeaTokens::new(db.clone())),
            organizations: Arc::new(SeaOrganizations::new(db.clone())),
            members: Arc::new(SeaMembers::new(db.clone())),
            roles: Arc::new(SeaRoles::new(db.clone())),
            invitations: Arc::new(SeaInvitations::new(db.clone())),
            audit: Arc::new(SeaAudit::new(db.clone())),
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            hasher: Arc::new(Argon2Hasher),
            mailer: Arc::new(OutboxMailer::new(db.clone())),
            outbox: Arc::new(SeaOutbox::new(db)),
        }
    }
}

/// Pool settings shared by eager and lazy pools.
fn options(url: &str, max_connections: u32, acquire_timeout: Duration) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections.max(1))
        .acquire_timeout(acquire_timeout)
        .connect_timeout(acquire_timeout)
        // Ping only connections idle long enough to have been dropped (e.g. after a database
        // restart); pinging on every checkout would add a round trip to every query.
        .test_before_acquire_if_idle_for(STALE_AFTER)
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        if is_sqlite_memory(url) {
            opts.max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        opts.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        });
    } else {
        // sqlx prepares each statement once per connection. Under PostgreSQL's default
        // `plan_cache_mode = auto`, a prepared statement is planned again on every execution
        // for as long as its generic plan looks dearer than the custom plans seen so far --
        // which the statistics of a grown database made true of orgd's listings and of the
        // authentication join (1.5 ms of planning for 0.1 ms of execution; S2 lost a third of
        // its throughput). orgd's statements are key lookups and index-ordered scans whose
        // generic plans are the plans: plan them once.
        opts.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_generic_plan")]));
    }
    opts
}

fn is_sqlite_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Starts a read-write transaction. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so read-then-write transactions serialize instead of failing when
/// their snapshot goes stale; on PostgreSQL the callers lock the rows they depend on.
pub(crate) async fn begin_write(
    db: &DatabaseConnection,
) -> Result<DatabaseTransaction, DomainError> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
    .map_err(db_err)
}

/// A unique constraint a write may hit, recognised by a fragment of the constraint (or
/// column) named in the database's message.
pub(crate) struct Unique {
    /// Fragment of the constraint name; `""` matches any unique violation.
    pub needle: &'static str,
    /// The domain conflict code.
    pub code: &'static str,
    /// Human text for the client.
    pub detail: &'static str,
}

/// Maps a failed write: the first matching unique constraint becomes its `Conflict`,
/// anything else goes through [`db_err`].
pub(crate) fn on_unique(e: DbErr, rules: &[Unique]) -> DomainError {
    if let Some(SqlErr::UniqueConstraintViolation(msg)) = e.sql_err() {
        let msg = msg.to_ascii_lowercase();
        if let Some(r) = rules.iter().find(|r| msg.contains(r.needle)) {
            return DomainError::conflict(r.code, r.detail);
        }
    }
    db_err(e)
}

/// Whether a write failed on a foreign key (a referenced row is gone).
pub(crate) fn is_fk_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_)))
}

/// Maps a storage error: connection trouble is `Unavailable` (retryable, `503`), anything
/// else `Unknown`, which is logged and never shown to clients.
pub(crate) fn db_err(e: DbErr) -> DomainError {
    if is_unavailable(&e) {
        tracing::warn!(error = %e, "database unavailable");
        DomainError::Unavailable("the database is unavailable".to_owned())
    } else {
        DomainError::Unknown(anyhow::Error::new(e).context("database operation failed"))
    }
}

fn is_unavailable(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as X;
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(x)) | DbErr::Query(RuntimeErr::SqlxError(x)) => {
            match x.as_ref() {
                X::Io(_) | X::Tls(_) | X::PoolTimedOut | X::PoolClosed | X::WorkerCrashed => true,
                X::Database(d) => {
                    let code = d.code().unwrap_or_default();
                    // SQLite: SQLITE_BUSY and its extended codes (the busy timeout ran out).
                    // PostgreSQL: class 08 (connection exception) and 57P0x (shutdown). Only
                    // SQLite's codes are read as numbers: many SQLSTATEs are digits too
                    // (22021, NUL in text, has the low byte 5).
                    if d.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                        .is_some()
                    {
                        code.parse::<u32>().is_ok_and(|c| c & 0xff == 5)
                    } else {
                        code.starts_with("08") || code.starts_with("57P0")
                    }
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// A row conversion failed: the stored data breaks an invariant of the domain.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> DomainError {
    DomainError::Unknown(anyhow::anyhow!("invalid stored {what}: {e}"))
}

/// Normalizes a timestamp before it is stored.
///
/// PostgreSQL keeps microseconds; SQLite keeps RFC 3339 text, which `time` writes with as
/// few fraction digits as possible, so text order would not be time order
/// (`…:05Z` > `…:05.5Z`). Storing UTC with the microseconds plus one nanosecond makes every
/// SQLite value exactly nine fraction digits long — fixed width, so `ORDER BY` and range
/// filters compare correctly and stay index-backed — while PostgreSQL truncates the extra
/// nanosecond away. [`from_db`] drops it again on the way back.
pub(crate) fn to_db(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.replace_nanosecond(micros + 1).unwrap_or(t)
}

/// Rows to fetch for `page`: one more than it holds, so that a last page tells the total
/// without a `COUNT(*)` round trip (see [`known_total`]).
pub(crate) fn fetch_limit(page: PageRequest) -> u64 {
    page.limit() + 1
}

/// Drops the extra row of a [`fetch_limit`] fetch and returns the total when the rows tell
/// it: on the last page (fewer rows than asked for) it is `offset + rows`. `None` when more
/// rows follow, or when an offset past the end found nothing: then the caller counts.
pub(crate) fn known_total<T>(rows: &mut Vec<T>, page: PageRequest) -> Option<u64> {
    let limit = usize::try_from(page.limit()).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        return None;
    }
    if rows.is_empty() && page.offset() > 0 {
        return None;
    }
    Some(page.offset() + rows.len() as u64)
}

/// The domain form of a stored timestamp: UTC, whole microseconds.
pub(crate) fn from_db(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_timestamps_sort_as_text() {
        let base = time::macros::datetime!(2024-05-01 12:00:05 UTC);
        let times = [
            base,
            base + time::Duration::milliseconds(500),
            base + time::Duration::microseconds(500_001),
            base + time::Duration::seconds(1),
        ];
        let fmt = &time::format_description::well_known::Rfc3339;
        let texts: Vec<String> = times
            .iter()
            .map(|t| to_db(*t).format(fmt).unwrap())
            .collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
        assert!(texts.iter().all(|t| t.len() == texts[0].len()));
        for t in times {
            assert_eq!(from_db(to_db(t)), t);
        }
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact("postgres://app:secret@db:5432/orgd"),
            "postgres://app:***@db:5432/orgd"
        );
        assert_eq!(
            redact("sqlite://orgd.db?mode=rwc"),
            "sqlite://orgd.db?mode=rwc"
        );
    }
}

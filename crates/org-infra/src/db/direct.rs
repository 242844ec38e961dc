//! The hot statements sent straight to sqlx's pool.
//!
//! sea-orm's `query_one_raw`/`query_all_raw` wrap sqlx's query in async layers of their
//! own (the backend dispatch, the pool acquire with its error mapping, the metric hook,
//! the span); each layer's state is moved into the next one's, and on the authentication
//! statement — every request runs it — those moves were a sixth of the server's
//! instructions (callgrind: ~30 KB of `memcpy` per request, which also evicts the L1
//! cache). Here the statement sea-query built is bound with sea-query's own sqlx binder
//! (`sea_query_sqlx`, the one sea-orm uses) and run on the pool sea-orm holds, so the SQL,
//! the values, the prepared-statement cache and the pool are exactly sea-orm's; only the
//! wrapping is gone. Rows are read by position ([`ReadColumns`]).
//!
//! Only for a [`DatabaseConnection`]: statements in a transaction go through sea-orm.
use std::sync::Arc;

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::sqlite::SqliteRow;
use sea_orm::sqlx::{self, AssertSqlSafe, Executor, IntoArguments, Pool};
use sea_orm::{
    ConnAcquireErr, DatabaseConnection, DbBackend, DbErr, RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;

use super::columns::{Columns, ReadColumns};

/// One row of a statement run here.
pub(crate) enum Row {
    Postgres(PgRow),
    Sqlite(SqliteRow),
}

impl Row {
    /// The row as a `T`, which must read every column.
    ///
    /// # Errors
    /// A column of another type, or NULL where `T` has none.
    pub(crate) fn read<T: ReadColumns>(&self) -> Result<T, DbErr> {
        let mut cols = Columns::of(self);
        let row = T::read(&mut cols)?;
        debug_assert!(
            cols.is_at_end(),
            "{} left columns unread",
            std::any::type_name::<T>()
        );
        Ok(row)
    }
}

/// The first row of `stmt`, if any, run on the connection's pool.
///
/// # Errors
/// sea-orm's errors for the same failures: `ConnectionAcquire` when no connection came in
/// time or the pool is closed, `Conn` when a new one could not be opened, `Query` for
/// everything the statement ran into.
pub(crate) async fn query_one(
    db: &DatabaseConnection,
    stmt: Statement,
) -> Result<Option<Row>, DbErr> {
    Ok(rows(db, stmt, Fetch::One).await?.into_iter().next())
}

/// Every row of `stmt`, run on the connection's pool.
///
/// # Errors
/// As [`query_one`].
pub(crate) async fn query_all(db: &DatabaseConnection, stmt: Statement) -> Result<Vec<Row>, DbErr> {
    rows(db, stmt, Fetch::All).await
}

/// How many rows to read.
#[derive(Clone, Copy)]
enum Fetch {
    /// The first, if any (sqlx's `fetch_optional`: the rest are discarded).
    One,
    All,
}

/// The rows of `stmt` on whichever backend the connection has.
async fn rows(db: &DatabaseConnection, stmt: Statement, fetch: Fetch) -> Result<Vec<Row>, DbErr> {
    let (sql, values) = parts(stmt);
    Ok(match db.get_database_backend() {
        DbBackend::Postgres => on_pool(db.get_postgres_connection_pool(), sql, values, fetch)
            .await?
            .into_iter()
            .map(Row::Postgres)
            .collect(),
        DbBackend::Sqlite => on_pool(db.get_sqlite_connection_pool(), sql, values, fetch)
            .await?
            .into_iter()
            .map(Row::Sqlite)
            .collect(),
        // orgd builds sea-orm with these two backends only.
        backend => return Err(DbErr::Custom(format!("no sqlx pool for {backend:?}"))),
    })
}

/// The rows of a statement on a connection from `pool`.
async fn on_pool<DB>(
    pool: &Pool<DB>,
    sql: AssertSqlSafe<String>,
    values: SqlxValues,
    fetch: Fetch,
) -> Result<Vec<DB::Row>, DbErr>
where
    DB: sqlx::Database,
    SqlxValues: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let mut conn = acquire(pool).await?;
    let query = sqlx::query_with(sql, values);
    match fetch {
        Fetch::One => query.fetch_optional(&mut *conn).await.map(Vec::from_iter),
        Fetch::All => query.fetch_all(&mut *conn).await,
    }
    .map_err(query_err)
}

/// The first row of `stmt` as a `T` (which reads the statement's columns in order).
///
/// # Errors
/// As [`query_one`] and [`Row::read`].
pub(crate) async fn one<T: ReadColumns>(
    db: &DatabaseConnection,
    stmt: Statement,
) -> Result<Option<T>, DbErr> {
    query_one(db, stmt).await?.map(|r| r.read()).transpose()
}

/// Every row of `stmt` as a `T` (which reads the statement's columns in order).
///
/// # Errors
/// As [`query_one`] and [`Row::read`].
pub(crate) async fn all<T: ReadColumns>(
    db: &DatabaseConnection,
    stmt: Statement,
) -> Result<Vec<T>, DbErr> {
    query_all(db, stmt).await?.iter().map(Row::read).collect()
}

fn parts(stmt: Statement) -> (AssertSqlSafe<String>, SqlxValues) {
    (
        AssertSqlSafe(stmt.sql),
        SqlxValues(stmt.values.unwrap_or(Values(Vec::new()))),
    )
}

/// A connection from the pool, with sea-orm's errors: `ConnectionAcquire` when none came in
/// time or the pool is closed, `Conn` when a new one could not be opened.
async fn acquire<DB: sqlx::Database>(pool: &Pool<DB>) -> Result<PoolConnection<DB>, DbErr> {
    pool.acquire().await.map_err(|e| match e {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        e => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
    })
}

/// sea-orm's error for a statement that failed.
fn query_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

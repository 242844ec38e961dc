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
use sea_orm::sqlx::{self, AssertSqlSafe, Pool};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, QueryTrait,
    RuntimeErr, Statement, Values,
};
use sea_query_sqlx::SqlxValues;

use super::columns::{Columns, ReadColumns};

/// One row of a statement run here.
pub(crate) enum Row {
    Postgres(PgRow),
    Sqlite(SqliteRow),
    /// Run through sea-orm (a connection of neither sqlx backend).
    Other(QueryResult),
}

impl Row {
    /// The row as a `T`, which must read every column.
    ///
    /// # Errors
    /// A column of another type, or NULL where `T` has none.
    pub(crate) fn read<T: ReadColumns>(&self) -> Result<T, DbErr> {
        let mut cols = Columns::of(self)?;
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
    let (sql, values) = parts(stmt);
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let mut conn = acquire(db.get_postgres_connection_pool()).await?;
            sqlx::query_with(sql, values)
                .fetch_optional(&mut *conn)
                .await
                .map(|r| r.map(Row::Postgres))
                .map_err(query_err)
        }
        DbBackend::Sqlite => {
            let mut conn = acquire(db.get_sqlite_connection_pool()).await?;
            sqlx::query_with(sql, values)
                .fetch_optional(&mut *conn)
                .await
                .map(|r| r.map(Row::Sqlite))
                .map_err(query_err)
        }
        backend => db
            .query_one_raw(unparts(backend, sql, values))
            .await
            .map(|r| r.map(Row::Other)),
    }
}

/// Every row of `stmt`, run on the connection's pool.
///
/// # Errors
/// As [`query_one`].
pub(crate) async fn query_all(db: &DatabaseConnection, stmt: Statement) -> Result<Vec<Row>, DbErr> {
    let (sql, values) = parts(stmt);
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let mut conn = acquire(db.get_postgres_connection_pool()).await?;
            sqlx::query_with(sql, values)
                .fetch_all(&mut *conn)
                .await
                .map(|rows| rows.into_iter().map(Row::Postgres).collect())
                .map_err(query_err)
        }
        DbBackend::Sqlite => {
            let mut conn = acquire(db.get_sqlite_connection_pool()).await?;
            sqlx::query_with(sql, values)
                .fetch_all(&mut *conn)
                .await
                .map(|rows| rows.into_iter().map(Row::Sqlite).collect())
                .map_err(query_err)
        }
        backend => db
            .query_all_raw(unparts(backend, sql, values))
            .await
            .map(|rows| rows.into_iter().map(Row::Other).collect()),
    }
}

/// The first row of a sea-orm query as a `T` (which reads the query's columns in order).
///
/// # Errors
/// As [`query_one`] and [`Row::read`].
pub(crate) async fn one<T: ReadColumns>(
    db: &DatabaseConnection,
    q: &impl QueryTrait,
) -> Result<Option<T>, DbErr> {
    query_one(db, q.build(db.get_database_backend()))
        .await?
        .map(|r| r.read())
        .transpose()
}

/// Every row of a sea-orm query as a `T` (which reads the query's columns in order).
///
/// # Errors
/// As [`query_one`] and [`Row::read`].
pub(crate) async fn all<T: ReadColumns>(
    db: &DatabaseConnection,
    q: &impl QueryTrait,
) -> Result<Vec<T>, DbErr> {
    query_all(db, q.build(db.get_database_backend()))
        .await?
        .iter()
        .map(Row::read)
        .collect()
}

fn parts(stmt: Statement) -> (AssertSqlSafe<String>, SqlxValues) {
    (
        AssertSqlSafe(stmt.sql),
        SqlxValues(stmt.values.unwrap_or(Values(Vec::new()))),
    )
}

fn unparts(backend: DbBackend, sql: AssertSqlSafe<String>, values: SqlxValues) -> Statement {
    Statement {
        sql: sql.0,
        values: Some(values.0),
        db_backend: backend,
    }
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

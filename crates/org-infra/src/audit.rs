//! The audit trail: the one helper every repository uses to write its event inside its own
//! transaction, and the [`AuditRepository`] for reading it.
use async_trait::async_trait;
use org_domain::audit::{AuditEvent, AuditFilter};
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::AuditRepository;
use org_domain::{DomainError, Result};
use sea_orm::sea_query::{
    Alias, Asterisk, CommonTableExpression, Expr, InsertStatement, Query, SubQueryStatement,
    UpdateStatement, WithClause, WithQuery,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement, Value,
};
use uuid::Uuid;

use crate::db::columns::ReadColumns;
use crate::db::sql_cache::SqlCache;
use crate::db::{db_err, direct, fetch_limit, from_db, known_total, to_db};
use crate::entities::audit_events::{self, Column as A};

/// Writes `event` on `db` — pass the transaction of the change it records.
///
/// # Errors
/// Storage failure.
pub(crate) async fn insert<C: ConnectionTrait>(db: &C, event: &AuditEvent) -> Result<()> {
    audit_events::Entity::insert(row(event))
        .exec_without_returning(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Runs `writes`, then writes `event`, on `db` (the transaction of the change). On
/// PostgreSQL that is one statement, one round trip: `WITH w0 AS (<write>), … INSERT INTO
/// audit_events …` — a data-modifying `WITH` runs exactly once and to completion whether or
/// not anything reads it, and all of them see the same snapshot, so the writes must not
/// depend on each other or touch the same row. Elsewhere (SQLite has no data-modifying
/// `WITH`) one statement each, in order.
///
/// # Errors
/// Storage failure.
pub(crate) async fn insert_after<C: ConnectionTrait>(
    db: &C,
    writes: Vec<SubQueryStatement>,
    event: &AuditEvent,
) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute(&with_writes(writes, event))
            .await
            .map_err(db_err)?;
        return Ok(());
    }
    for write in writes {
        match write {
            SubQueryStatement::InsertStatement(q) => db.execute(&q).await,
            SubQueryStatement::UpdateStatement(q) => db.execute(&q).await,
            SubQueryStatement::DeleteStatement(q) => db.execute(&q).await,
            SubQueryStatement::SelectStatement(q) => db.execute(&q).await,
            SubQueryStatement::WithStatement(q) => db.execute(&q).await,
        }
        .map_err(db_err)?;
    }
    insert(db, event).await
}

/// [`insert_after`] for a call site whose writes always have one shape, with the SQL of its
/// PostgreSQL statement built once (`cache`, see [`SqlCache`]): `values` are the writes'
/// values in the order of their placeholders, and `writes` builds them (in release builds
/// only the first time). On SQLite it is [`insert_after`].
///
/// # Errors
/// Storage failure.
pub(crate) async fn insert_after_cached<C: ConnectionTrait>(
    db: &C,
    cache: &SqlCache<1>,
    values: Vec<Value>,
    writes: impl FnOnce() -> Vec<SubQueryStatement>,
    event: &AuditEvent,
) -> Result<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return insert_after(db, writes(), event).await;
    }
    let stmt = cached_statement(cache, values, writes, event);
    db.execute_raw(stmt).await.map_err(db_err)?;
    Ok(())
}

/// PostgreSQL only: runs `write` — an `UPDATE … RETURNING` — and writes `event` once per
/// row it returns, in one statement that is its own transaction, and answers those rows:
/// `WITH w0 AS (<write>), a AS (INSERT INTO audit_events (…) SELECT <event> FROM w0)
/// SELECT * FROM w0`. So a conditional write (a compare-and-set) leaves its audit row
/// exactly when it wrote. The SQL is built once (`cache`, see [`SqlCache`]) and run on the
/// pool straight ([`direct`]); `values` are the write's values in the order of its
/// placeholders, and `T` reads what it returns.
///
/// # Errors
/// Storage failure.
pub(crate) async fn returning_per_row<T: ReadColumns>(
    db: &DatabaseConnection,
    cache: &SqlCache<1>,
    mut values: Vec<Value>,
    write: impl FnOnce() -> UpdateStatement,
    event: &AuditEvent,
) -> Result<Vec<T>> {
    let backend = DbBackend::Postgres;
    values.extend(row_values(event));
    let stmt = cache.statement(backend, 0, values, || {
        backend.build(&per_row(write(), event))
    });
    direct::all(db, stmt).await.map_err(db_err)
}

/// [`returning_per_row`]'s statement.
#[allow(clippy::expect_used)] // `row_values` has one value per column, in their order (tests)
fn per_row(write: UpdateStatement, event: &AuditEvent) -> WithQuery {
    let w0 = Alias::new("w0");
    let mut select = Query::select();
    select
        .exprs(row_values(event).map(Expr::val))
        .from(w0.clone());
    let mut insert = Query::insert();
    insert
        .into_table(audit_events::Entity)
        .columns(audit_events::Column::iter())
        .select_from(select)
        .expect("one value per column");
    let mut with = WithClause::new();
    for (name, query) in [("w0", write.into()), ("a", insert.into())] {
        let query: SubQueryStatement = query;
        with.cte(
            CommonTableExpression::new()
                .query(query)
                .table_name(Alias::new(name))
                .to_owned(),
        );
    }
    Query::select()
        .column(Asterisk)
        .from(w0)
        .to_owned()
        .with(with)
}

/// [`insert_after_cached`]'s PostgreSQL statement.
fn cached_statement(
    cache: &SqlCache<1>,
    mut values: Vec<Value>,
    writes: impl FnOnce() -> Vec<SubQueryStatement>,
    event: &AuditEvent,
) -> Statement {
    let backend = DbBackend::Postgres;
    values.extend(row_values(event));
    cache.statement(backend, 0, values, || {
        backend.build(&with_writes(writes(), event))
    })
}

/// `WITH w0 AS (<write>), … INSERT INTO audit_events …` (PostgreSQL).
fn with_writes(writes: Vec<SubQueryStatement>, event: &AuditEvent) -> InsertStatement {
    let mut with = WithClause::new();
    for (i, write) in writes.into_iter().enumerate() {
        with.cte(
            CommonTableExpression::new()
                .query(write)
                .table_name(Alias::new(format!("w{i}")))
                .to_owned(),
        );
    }
    let mut insert = audit_events::Entity::insert(row(event)).into_query();
    insert.with_cte(with);
    insert
}

/// The values [`row`] inserts, in the order of its columns.
fn row_values(event: &AuditEvent) -> [Value; 10] {
    [
        event.id.into(),
        event.organization_id.into(),
        event.actor_id.into(),
        event.action.clone().into(),
        event.target_type.clone().into(),
        event.target_id.clone().into(),
        event.before.clone().into(),
        event.after.clone().into(),
        event.request_id.clone().into(),
        to_db(event.created).into(),
    ]
}

fn row(event: &AuditEvent) -> audit_events::ActiveModel {
    audit_events::ActiveModel {
        id: Set(event.id),
        organization_id: Set(event.organization_id),
        actor_id: Set(event.actor_id),
        action: Set(event.action.clone()),
        target_type: Set(event.target_type.clone()),
        target_id: Set(event.target_id.clone()),
        before: Set(event.before.clone()),
        after: Set(event.after.clone()),
        request_id: Set(event.request_id.clone()),
        created_at: Set(to_db(event.created)),
    }
}

fn to_domain(m: audit_events::Model) -> AuditEvent {
    AuditEvent {
        id: m.id,
        organization_id: m.organization_id,
        actor_id: m.actor_id,
        action: m.action,
        target_type: m.target_type,
        target_id: m.target_id,
        before: m.before,
        after: m.after,
        request_id: m.request_id,
        created: from_db(m.created_at),
    }
}

/// [`AuditRepository`] on sea-orm.
#[derive(Clone, Debug)]
pub struct SeaAudit {
    db: DatabaseConnection,
}

impl SeaAudit {
    /// The audit log of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AuditRepository for SeaAudit {
    async fn list(
        &self,
        org_id: Uuid,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>> {
        let mut q = audit_events::Entity::find().filter(A::OrganizationId.eq(org_id));
        if let Some(action) = &filter.action {
            q = q.filter(A::Action.eq(action.as_str()));
        }
        if let Some(actor) = filter.actor_id {
            q = q.filter(A::ActorId.eq(actor));
        }
        if let Some(target) = &filter.target_id {
            q = q.filter(A::TargetId.eq(target.as_str()));
        }
        if let Some(since) = filter.since {
            q = q.filter(A::CreatedAt.gte(to_db(since)));
        }
        if let Some(until) = filter.until {
            q = q.filter(A::CreatedAt.lt(to_db(until)));
        }
        let mut rows = q
            .clone()
            .order_by_desc(A::CreatedAt)
            .order_by_desc(A::Id)
            .limit(fetch_limit(page))
            .offset(page.offset())
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let total = match known_total(&mut rows, page) {
            Some(n) => n,
            None => q.count(&self.db).await.map_err(db_err)?,
        };
        Ok(Page::new(
            rows.into_iter().map(to_domain).collect(),
            total,
            page,
        ))
    }

    async fn record(&self, event: &AuditEvent) -> Result<()> {
        insert(&self.db, event).await
    }

    async fn ping(&self) -> Result<()> {
        let backend = self.db.get_database_backend();
        self.db
            .query_one_raw(Statement::from_string(backend, "SELECT 1"))
            .await
            .map(drop)
            .map_err(|e| {
                tracing::warn!(error = %e, "database ping failed");
                DomainError::Unavailable("the database is unavailable".to_owned())
            })
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    use serde_json::json;
    use time::OffsetDateTime;

    use super::*;

    fn event(n: u128, full: bool) -> AuditEvent {
        AuditEvent {
            id: Uuid::from_u128(n),
            organization_id: full.then(|| Uuid::from_u128(n + 1)),
            actor_id: full.then(|| Uuid::from_u128(n + 2)),
            action: "member.role_changed".into(),
            target_type: "member".into(),
            target_id: n.to_string(),
            before: full.then(|| json!({"role": "admin"})),
            after: full.then(|| json!({"role": "member", "n": n})),
            request_id: full.then(|| format!("req-{n}")),
            created: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(n as i64),
        }
    }

    /// The cached write+audit statement is what sea-query builds for every event, NULLs
    /// and JSON included (debug builds assert the SQL and the values' order), its write
    /// first.
    #[test]
    fn the_cached_statement_binds_the_writes_then_the_event() {
        let cache = SqlCache::<1>::new();
        for (n, full) in [(1, true), (10, false), (20, true)] {
            let role = format!("role-{n}");
            let values = vec![role.clone().into(), Uuid::from_u128(n).into()];
            let write = || {
                let mut q = Query::update();
                q.table(Alias::new("members"))
                    .value(Alias::new("role"), role.clone())
                    .and_where(Expr::col(Alias::new("user_id")).eq(Uuid::from_u128(n)));
                vec![q.into()]
            };
            let stmt = cached_statement(&cache, values, write, &event(n, full));
            assert!(
                stmt.sql.starts_with(r#"WITH "w0" AS (UPDATE "members""#),
                "{}",
                stmt.sql
            );
            assert_eq!(stmt.values.map(|v| v.0.len()), Some(12));
        }
    }

    /// The conditional write's audit row is selected from what the write returns, so it
    /// exists exactly when the write wrote; the statement answers the written rows.
    #[test]
    fn the_per_row_statement_selects_the_event_from_the_write() {
        let n = 7;
        let mut q = Query::update();
        q.table(Alias::new("members"))
            .value(Alias::new("role"), "admin")
            .and_where(Expr::col(Alias::new("role")).eq("member"))
            .returning_col(Alias::new("user_id"));
        let stmt = DbBackend::Postgres.build(&per_row(q, &event(n, true)));
        assert!(
            stmt.sql.starts_with(r#"WITH "w0" AS (UPDATE "members""#)
                && stmt
                    .sql
                    .contains(r#"RETURNING "user_id") , "a" AS (INSERT INTO "audit_events""#)
                && stmt.sql.ends_with(r#"FROM "w0") SELECT * FROM "w0""#),
            "{}",
            stmt.sql
        );
        assert_eq!(stmt.values.map(|v| v.0.len()), Some(12));
    }
}

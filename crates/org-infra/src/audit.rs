//! The audit trail: the one helper every repository uses to write its event inside its own
//! transaction, and the [`AuditRepository`] for reading it.
use async_trait::async_trait;
use org_domain::audit::{AuditEvent, AuditFilter};
use org_domain::pagination::{Page, PageRequest};
use org_domain::ports::AuditRepository;
use org_domain::{DomainError, Result};
use sea_orm::sea_query::{Alias, CommonTableExpression, SubQueryStatement, WithClause};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use uuid::Uuid;

use crate::db::{db_err, fetch_limit, from_db, known_total, to_db};
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
    let backend = db.get_database_backend();
    let mut insert = audit_events::Entity::insert(row(event)).into_query();
    if backend == DbBackend::Postgres {
        let mut with = WithClause::new();
        for (i, write) in writes.into_iter().enumerate() {
            with.cte(
                CommonTableExpression::new()
                    .query(write)
                    .table_name(Alias::new(format!("w{i}")))
                    .to_owned(),
            );
        }
        insert.with_cte(with);
    } else {
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
    }
    db.execute(&insert).await.map_err(db_err)?;
    Ok(())
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

//! [`RoleRepository`] on sea-orm.
use async_trait::async_trait;
use org_domain::audit::AuditEvent;
use org_domain::ports::RoleRepository;
use org_domain::roles::{CustomRole, RoleKey};
use org_domain::{DomainError, Result};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::audit;
use crate::db::{Unique, begin_write, corrupt, db_err, is_fk_violation, on_unique, to_db};
use crate::entities::custom_roles::{self, Column as R};
use crate::entities::members;

mod delete;
mod row;

pub(crate) use row::{GrantRow, ensure_holdable, holdable, unknown_role};
use row::{fields, name_key, to_domain};

/// PostgreSQL names the violated index, SQLite its columns; a clash of either key means a
/// role of that name exists (the role key follows from the name).
const NAME_TAKEN: &[Unique] = &[
    Unique {
        needle: "role_name",
        code: "role_name_taken",
        detail: "",
    },
    Unique {
        needle: "name_key",
        code: "role_name_taken",
        detail: "",
    },
    Unique {
        needle: "role_key",
        code: "role_name_taken",
        detail: "",
    },
];

/// [`RoleRepository`] on sea-orm.
#[derive(Clone, Debug)]
pub struct SeaRoles {
    db: DatabaseConnection,
}

impl SeaRoles {
    /// The custom roles of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn one(&self, org_id: Uuid, col: R, value: String) -> Result<Option<CustomRole>> {
        custom_roles::Entity::find()
            .filter(R::OrganizationId.eq(org_id))
            .filter(col.eq(value))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_domain)
            .transpose()
    }
}

/// A failed write: a name clash names the role; an org that vanished is `NotFound`.
fn write_err(e: DbErr, name: &str) -> DomainError {
    if is_fk_violation(&e) {
        return DomainError::not_found("organization");
    }
    match on_unique(e, NAME_TAKEN) {
        DomainError::Conflict { code, .. } => DomainError::conflict(
            code,
            format!("a role named '{name}' already exists in this organization"),
        ),
        other => other,
    }
}

#[async_trait]
impl RoleRepository for SeaRoles {
    async fn list(&self, org_id: Uuid) -> Result<Vec<CustomRole>> {
        custom_roles::Entity::find()
            .filter(R::OrganizationId.eq(org_id))
            .order_by_asc(R::NameKey)
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    async fn holders(&self, org_id: Uuid) -> Result<Vec<(RoleKey, u64)>> {
        let rows: Vec<(String, i64)> = members::Entity::find()
            .select_only()
            .column(members::Column::Role)
            .expr(Expr::col(members::Column::UserId).count())
            .filter(members::Column::OrganizationId.eq(org_id))
            .group_by(members::Column::Role)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        rows.into_iter()
            .map(|(role, n)| {
                let key = RoleKey::parse(&role).map_err(|e| corrupt("role", e))?;
                Ok((key, u64::try_from(n).unwrap_or_default()))
            })
            .collect()
    }

    async fn get(&self, org_id: Uuid, id: Uuid) -> Result<Option<CustomRole>> {
        custom_roles::Entity::find_by_id(id)
            .filter(R::OrganizationId.eq(org_id))
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_domain)
            .transpose()
    }

    async fn find(&self, org_id: Uuid, key: RoleKey) -> Result<Option<CustomRole>> {
        self.one(org_id, R::RoleKey, key.to_string()).await
    }

    async fn find_by_name(&self, org_id: Uuid, name: &str) -> Result<Option<CustomRole>> {
        self.one(org_id, R::NameKey, name_key(name)).await
    }

    async fn insert(&self, role: &CustomRole, event: &AuditEvent) -> Result<()> {
        let mut row = fields(role)?;
        row.id = Set(role.id);
        row.organization_id = Set(role.organization_id);
        row.created_at = Set(to_db(role.created));
        let txn = begin_write(&self.db).await?;
        custom_roles::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| write_err(e, &role.name))?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn update(&self, role: &CustomRole, event: &AuditEvent) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        let res = custom_roles::Entity::update_many()
            .set(fields(role)?)
            .filter(R::Id.eq(role.id))
            .filter(R::OrganizationId.eq(role.organization_id))
            .exec(&txn)
            .await
            .map_err(|e| write_err(e, &role.name))?;
        if res.rows_affected == 0 {
            return Err(DomainError::not_found("role"));
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(db_err)
    }

    async fn delete(
        &self,
        role: &CustomRole,
        reassign_to: Option<RoleKey>,
        event: &AuditEvent,
    ) -> Result<u64> {
        delete::delete(&self.db, role, reassign_to, event).await
    }
}

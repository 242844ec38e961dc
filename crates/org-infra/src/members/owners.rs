//! The owner invariants of an organization, checked inside a transaction that holds the
//! organization's row lock (see `organizations::lock`), so concurrent demotions and
//! removals see each other's effects.
use org_domain::roles::SystemRole;
use org_domain::{DomainError, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::db::db_err;
use crate::entities::members::{self, Column as M};
use crate::entities::organizations;

fn owners(org_id: Uuid) -> sea_orm::Select<members::Entity> {
    members::Entity::find()
        .filter(M::OrganizationId.eq(org_id))
        .filter(M::Role.eq(SystemRole::Owner.key()))
}

/// Refuses when the org has at most one owner (the one about to stop being owner).
///
/// # Errors
/// `LastOwner`.
pub(super) async fn ensure_not_last<C: ConnectionTrait>(txn: &C, org_id: Uuid) -> Result<()> {
    let count = owners(org_id).count(txn).await.map_err(db_err)?;
    if count <= 1 {
        return Err(DomainError::LastOwner);
    }
    Ok(())
}

/// Makes the longest-standing owner other than `leaving` the owner of record.
pub(super) async fn hand_off<C: ConnectionTrait>(
    txn: &C,
    org_id: Uuid,
    leaving: Uuid,
) -> Result<()> {
    let heir = owners(org_id)
        .filter(M::UserId.ne(leaving))
        .order_by_asc(M::CreatedAt)
        .order_by_asc(M::UserId)
        .one(txn)
        .await
        .map_err(db_err)?;
    if let Some(heir) = heir {
        organizations::Entity::update_many()
            .col_expr(organizations::Column::OwnerId, Expr::value(heir.user_id))
            .filter(organizations::Column::Id.eq(org_id))
            .exec(txn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

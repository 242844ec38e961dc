//! Ownership transfer, run inside `update`'s transaction with the org row locked.
use org_domain::roles::SystemRole;
use org_domain::{DomainError, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db::{db_err, to_db};
use crate::entities::members::{self, Column as M};

/// Makes `new_owner` an `owner` and demotes `previous_owner` (if still a member) to
/// `admin`. The caller sets `organizations.owner_id`.
///
/// # Errors
/// `Unprocessable { code: "not_a_member" }` when `new_owner` is not a member.
pub(super) async fn ownership<C: ConnectionTrait>(
    txn: &C,
    org_id: Uuid,
    previous_owner: Uuid,
    new_owner: Uuid,
    at: OffsetDateTime,
) -> Result<()> {
    let promoted = set_role(txn, org_id, new_owner, SystemRole::Owner, at).await?;
    if promoted == 0 {
        return Err(DomainError::unprocessable(
            "not_a_member",
            "the new owner must already be a member",
        ));
    }
    set_role(txn, org_id, previous_owner, SystemRole::Admin, at).await?;
    Ok(())
}

async fn set_role<C: ConnectionTrait>(
    txn: &C,
    org_id: Uuid,
    user_id: Uuid,
    role: SystemRole,
    at: OffsetDateTime,
) -> Result<u64> {
    let res = members::Entity::update_many()
        .col_expr(M::Role, Expr::value(role.key()))
        .col_expr(M::UpdatedAt, Expr::value(to_db(at)))
        .filter(M::OrganizationId.eq(org_id))
        .filter(M::UserId.eq(user_id))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(res.rows_affected)
}

//! Accepting an invitation: the membership and the answer in one transaction.
//!
//! Locks are taken in the order every writer of an org uses — the org's row, then the rows
//! inside it — so accepting cannot deadlock with a role deletion that moves invitations.
//! Two accepts of one invitation queue on the org lock; the second then sees `accepted`.
use org_domain::audit::AuditEvent;
use org_domain::invitations::InvitationStatus as S;
use org_domain::members::Member;
use org_domain::roles::{RoleKey, SystemRole};
use org_domain::{DomainError, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::answer::set_status;
use super::query::{get, status};
use crate::audit;
use crate::db::{begin_write, corrupt, db_err, from_db, to_db};
use crate::entities::{invitations, members};
use crate::members::{add_err, count_in};
use crate::organizations::lock;
use crate::roles::holdable;

/// See `InvitationRepository::accept`.
pub(super) async fn accept(
    db: &DatabaseConnection,
    id: Uuid,
    user_id: Uuid,
    fallback_role: RoleKey,
    now: OffsetDateTime,
    events: &[AuditEvent],
) -> Result<Member> {
    let gone = || DomainError::not_found("invitation");
    let txn = begin_write(db).await?;
    let mut inv = get(&txn, id).await?.ok_or_else(gone)?;
    let org_id = inv.organization.id;
    lock(&txn, org_id).await?.ok_or_else(gone)?;
    // The state as of now, under the row's lock (the read above was not locked).
    let row = invitations::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await
        .map_err(db_err)?
        .ok_or_else(gone)?;
    inv.status = status(&row.status)?;
    inv.expires_at = from_db(row.expires_at);
    if let Some(e) = inv.unanswerable(now) {
        return Err(e);
    }
    let already = members::Entity::find_by_id((org_id, user_id))
        .one(&txn)
        .await
        .map_err(db_err)?;
    if already.is_some() {
        return Err(DomainError::conflict(
            "already_member",
            "the user is already a member of this organization",
        ));
    }
    let stored = RoleKey::parse(&row.role).map_err(|e| corrupt("role", e))?;
    let role = role_to_grant(&txn, org_id, stored, fallback_role).await?;
    count_in(&txn, org_id, 1).await?;
    let membership = members::ActiveModel {
        organization_id: Set(org_id),
        user_id: Set(user_id),
        role: Set(role.to_string()),
        created_at: Set(to_db(now)),
        updated_at: Set(to_db(now)),
    };
    members::Entity::insert(membership)
        .exec_without_returning(&txn)
        .await
        .map_err(add_err)?;
    set_status(id, S::Accepted, now)
        .col_expr(
            invitations::Column::RespondedAt,
            Expr::value(Some(to_db(now))),
        )
        .filter(invitations::Column::Status.eq(S::Pending.as_str()))
        .exec(&txn)
        .await
        .map_err(db_err)?;
    for event in events {
        audit::insert(&txn, event).await?;
    }
    let member = crate::members::get(&txn, org_id, user_id)
        .await?
        .ok_or_else(|| DomainError::not_found("member"))?;
    txn.commit().await.map_err(db_err)?;
    Ok(member)
}

/// The invitation's role, else `fallback` when that custom role was deleted, else
/// `member`: a fallback computed before the org's lock was taken may name a custom role
/// deleted since, and a membership must never hold a key the org does not have.
async fn role_to_grant(
    txn: &DatabaseTransaction,
    org_id: Uuid,
    invited: RoleKey,
    fallback: RoleKey,
) -> Result<RoleKey> {
    for key in [invited, fallback] {
        match key {
            RoleKey::System(_) => return Ok(key),
            RoleKey::Custom(id) if holdable(txn, org_id, id).await? => return Ok(key),
            RoleKey::Custom(_) => {}
        }
    }
    Ok(RoleKey::System(SystemRole::Member))
}

//! Answering invitations for the organization (revoke) or the recipient (decline), and
//! the conditional status UPDATE every state change uses: it names the status the row must
//! still have, so a concurrent answer is seen, not overwritten.
use org_domain::audit::AuditEvent;
use org_domain::invitations::{Invitation, InvitationStatus as S};
use org_domain::{DomainError, Result};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, UpdateMany,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::query::get;
use crate::audit;
use crate::db::{begin_write, db_err, to_db};
use crate::entities::invitations::{self, Column as I};

/// `UPDATE invitations SET status = …, updated_at = now WHERE id = …`; callers add the
/// condition on the current status.
pub(super) fn set_status(
    id: Uuid,
    status: S,
    now: OffsetDateTime,
) -> UpdateMany<invitations::Entity> {
    invitations::Entity::update_many()
        .col_expr(I::Status, Expr::value(status.as_str()))
        .col_expr(I::UpdatedAt, Expr::value(to_db(now)))
        .filter(I::Id.eq(id))
}

/// Why the invitation was not changed: it is gone, or its (re-read) state forbids it.
pub(super) async fn state_err<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: OffsetDateTime,
) -> DomainError {
    match get(db, id).await {
        Err(e) => e,
        Ok(found) => refusal(found, now),
    }
}

/// The error for an invitation that could not be changed.
fn refusal(found: Option<Invitation>, now: OffsetDateTime) -> DomainError {
    match found {
        None => DomainError::not_found("invitation"),
        Some(inv) => inv.unanswerable(now).unwrap_or_else(|| {
            // Only reachable if the row changed back between the UPDATE and this read.
            DomainError::Unknown(anyhow::anyhow!(
                "invitation {} is {} yet was not updated",
                inv.id,
                inv.status
            ))
        }),
    }
}

/// See `InvitationRepository::revoke`.
pub(super) async fn revoke(
    db: &DatabaseConnection,
    id: Uuid,
    now: OffsetDateTime,
    event: &AuditEvent,
) -> Result<()> {
    let txn = begin_write(db).await?;
    let res = set_status(id, S::Revoked, now)
        .col_expr(I::RespondedAt, Expr::value(Some(to_db(now))))
        .filter(I::Status.is_in([S::Pending.as_str(), S::Expired.as_str()]))
        .exec(&txn)
        .await
        .map_err(db_err)?;
    if res.rows_affected == 0 {
        return match get(&txn, id).await? {
            // Revoking twice is not an error, and records nothing the second time.
            Some(inv) if inv.status == S::Revoked => Ok(()),
            found => Err(refusal(found, now)),
        };
    }
    audit::insert(&txn, event).await?;
    txn.commit().await.map_err(db_err)
}

/// See `InvitationRepository::decline`.
pub(super) async fn decline(
    db: &DatabaseConnection,
    id: Uuid,
    now: OffsetDateTime,
    event: &AuditEvent,
) -> Result<()> {
    let txn = begin_write(db).await?;
    let res = set_status(id, S::Declined, now)
        .col_expr(I::RespondedAt, Expr::value(Some(to_db(now))))
        .filter(answerable(now))
        .exec(&txn)
        .await
        .map_err(db_err)?;
    if res.rows_affected == 0 {
        return Err(state_err(&txn, id, now).await);
    }
    audit::insert(&txn, event).await?;
    txn.commit().await.map_err(db_err)
}

/// Pending and not expired at `now`.
fn answerable(now: OffsetDateTime) -> Condition {
    Condition::all()
        .add(I::Status.eq(S::Pending.as_str()))
        .add(I::ExpiresAt.gt(to_db(now)))
}

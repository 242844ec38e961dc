//! Creating and renewing invitations, both refusing a second pending invitation for the
//! same address.
use org_domain::audit::AuditEvent;
use org_domain::invitations::{Invitation, InvitationStatus as S, NewInvitation};
use org_domain::{DomainError, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::answer::{set_status, state_err};
use super::query::get;
use crate::audit;
use crate::db::{Unique, begin_write, db_err, from_db, is_fk_violation, on_unique, to_db};
use crate::entities::invitations::{self, Column as I};
use crate::entities::{members, users};
use crate::organizations::lock;
use crate::roles::ensure_holdable;
use crate::users::user_not_found;

/// `uq_invitations_pending`: PostgreSQL names the index, SQLite its columns. Only a
/// backstop: writers look for the pending invitation first and name it in the error.
const PENDING_TAKEN: &[Unique] = &[
    Unique {
        needle: "pending",
        code: "invitation_pending",
        detail: "a pending invitation for this address already exists",
    },
    Unique {
        needle: "invitations.email",
        code: "invitation_pending",
        detail: "a pending invitation for this address already exists",
    },
];

fn pending_err(e: DbErr) -> DomainError {
    // The org is locked, so a missing row behind a foreign key is the inviter's account.
    if is_fk_violation(&e) {
        return user_not_found();
    }
    on_unique(e, PENDING_TAKEN)
}

/// Makes room for a pending invitation to (org, email) other than `except`: a pending one
/// that expired by `now` is marked expired; one still pending is a conflict naming it.
async fn clear_pending(
    txn: &DatabaseTransaction,
    org_id: Uuid,
    email: &str,
    except: Uuid,
    now: OffsetDateTime,
) -> Result<()> {
    let pending = invitations::Entity::find()
        .filter(I::OrganizationId.eq(org_id))
        .filter(I::Email.eq(email))
        .filter(I::Status.eq(S::Pending.as_str()))
        .filter(I::Id.ne(except))
        .one(txn)
        .await
        .map_err(db_err)?;
    let Some(p) = pending else { return Ok(()) };
    if from_db(p.expires_at) > now {
        return Err(DomainError::conflict(
            "invitation_pending",
            format!("a pending invitation for {email} already exists: {}", p.id),
        ));
    }
    set_status(p.id, S::Expired, now)
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// See `InvitationRepository::insert`.
pub(super) async fn insert(
    db: &DatabaseConnection,
    new: &NewInvitation,
    now: OffsetDateTime,
    event: &AuditEvent,
) -> Result<Invitation> {
    let org_id = new.organization_id;
    let txn = begin_write(db).await?;
    // Serializes with other invitations, joins and role deletions in this org.
    lock(&txn, org_id)
        .await?
        .ok_or_else(|| DomainError::not_found("organization"))?;
    let members = members::Entity::find()
        .inner_join(users::Entity)
        .filter(members::Column::OrganizationId.eq(org_id))
        .filter(users::Column::Email.eq(new.email.as_str()))
        .count(&txn)
        .await
        .map_err(db_err)?;
    if members > 0 {
        return Err(DomainError::conflict(
            "already_member",
            format!("{} is already a member of this organization", new.email),
        ));
    }
    clear_pending(&txn, org_id, &new.email, new.id, now).await?;
    ensure_holdable(&txn, org_id, new.role).await?;
    let row = invitations::ActiveModel {
        id: Set(new.id),
        organization_id: Set(org_id),
        email: Set(new.email.clone()),
        role: Set(new.role.to_string()),
        status: Set(S::Pending.as_str().to_owned()),
        token_hash: Set(new.token_hash.clone()),
        inviter_id: Set(Some(new.inviter_id)),
        expires_at: Set(to_db(new.expires_at)),
        responded_at: Set(None),
        created_at: Set(to_db(new.created)),
        updated_at: Set(to_db(new.created)),
    };
    invitations::Entity::insert(row)
        .exec_without_returning(&txn)
        .await
        .map_err(pending_err)?;
    audit::insert(&txn, event).await?;
    let stored = get(&txn, new.id)
        .await?
        .ok_or_else(|| DomainError::not_found("invitation"))?;
    txn.commit().await.map_err(db_err)?;
    Ok(stored)
}

/// See `InvitationRepository::renew`.
pub(super) async fn renew(
    db: &DatabaseConnection,
    id: Uuid,
    token_hash: &str,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
    event: &AuditEvent,
) -> Result<Invitation> {
    let txn = begin_write(db).await?;
    let current = invitations::Entity::find_by_id(id)
        .one(&txn)
        .await
        .map_err(db_err)?
        .ok_or_else(|| DomainError::not_found("invitation"))?;
    let renewable = [S::Pending.as_str(), S::Expired.as_str()];
    if !renewable.contains(&current.status.as_str()) {
        return Err(state_err(&txn, id, now).await);
    }
    // Renewing an expired invitation makes it pending again: as on insert, a pending one
    // for the same address blocks it unless that one has expired too.
    clear_pending(&txn, current.organization_id, &current.email, id, now).await?;
    let res = set_status(id, S::Pending, now)
        .col_expr(I::TokenHash, Expr::value(token_hash))
        .col_expr(I::ExpiresAt, Expr::value(to_db(expires_at)))
        .filter(I::Status.is_in(renewable))
        .exec(&txn)
        .await
        .map_err(pending_err)?;
    if res.rows_affected == 0 {
        return Err(state_err(&txn, id, now).await);
    }
    audit::insert(&txn, event).await?;
    let renewed = get(&txn, id)
        .await?
        .ok_or_else(|| DomainError::not_found("invitation"))?;
    txn.commit().await.map_err(db_err)?;
    Ok(renewed)
}

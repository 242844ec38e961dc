//! Deleting a custom role: under the org's row lock, so no membership, invitation or
//! default-role setting can start naming the role while its holders are moved away.
use org_domain::audit::AuditEvent;
use org_domain::invitations::InvitationStatus;
use org_domain::organizations::OrgSettings;
use org_domain::roles::{CustomRole, RoleKey, SystemRole};
use org_domain::{DomainError, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};
use time::OffsetDateTime;

use super::row::{holdable, unknown_role};
use crate::audit;
use crate::db::{begin_write, corrupt, db_err, to_db};
use crate::entities::{custom_roles, invitations, members, organizations};
use crate::organizations::lock;

/// See `RoleRepository::delete`.
pub(super) async fn delete(
    db: &DatabaseConnection,
    role: &CustomRole,
    reassign_to: Option<RoleKey>,
    event: &AuditEvent,
) -> Result<u64> {
    let txn = begin_write(db).await?;
    let org = lock(&txn, role.organization_id)
        .await?
        .ok_or_else(|| DomainError::not_found("role"))?;
    // The stored row, not the caller's copy: a rename may have changed what it shadows.
    let stored = custom_roles::Entity::find_by_id(role.id)
        .filter(custom_roles::Column::OrganizationId.eq(org.id))
        .one(&txn)
        .await
        .map_err(db_err)?
        .ok_or_else(|| DomainError::not_found("role"))?;
    let moved = if SystemRole::from_key(&stored.name_key).is_some() {
        // Holders of a shadowing role hold the system key, which stays.
        0
    } else {
        let holds = Holders::count(&txn, &org, &stored.role_key).await?;
        holds.reassign(&txn, reassign_to, event.created).await?
    };
    custom_roles::Entity::delete_by_id(stored.id)
        .exec(&txn)
        .await
        .map_err(db_err)?;
    audit::insert(&txn, event).await?;
    txn.commit().await.map_err(db_err)?;
    Ok(moved)
}

/// What names a custom role's key in its org.
struct Holders<'a> {
    org: &'a organizations::Model,
    key: &'a str,
    settings: OrgSettings,
    members: u64,
    invitations: u64,
}

impl<'a> Holders<'a> {
    async fn count(
        txn: &DatabaseTransaction,
        org: &'a organizations::Model,
        key: &'a str,
    ) -> Result<Self> {
        let members = members::Entity::find()
            .filter(members::Column::OrganizationId.eq(org.id))
            .filter(members::Column::Role.eq(key))
            .count(txn)
            .await
            .map_err(db_err)?;
        // Pending ones past their expiry count too. Those stored as expired keep the key:
        // if one is renewed and accepted, `accept` grants its fallback role instead.
        let invitations = pending_invitations(org, key)
            .count(txn)
            .await
            .map_err(db_err)?;
        let settings: OrgSettings =
            serde_json::from_value(org.settings.clone()).map_err(|e| corrupt("settings", e))?;
        Ok(Self {
            org,
            key,
            settings,
            members,
            invitations,
        })
    }

    fn is_default(&self) -> bool {
        self.settings.default_role_id.as_deref() == Some(self.key)
    }

    /// Moves everything holding the key to `to`; the number of memberships moved.
    async fn reassign(
        mut self,
        txn: &DatabaseTransaction,
        to: Option<RoleKey>,
        at: OffsetDateTime,
    ) -> Result<u64> {
        let Some(to) = to else {
            return if self.members + self.invitations > 0 || self.is_default() {
                Err(self.in_use())
            } else {
                Ok(0)
            };
        };
        let target = to.to_string();
        if let RoleKey::Custom(id) = to
            && (target == self.key || !holdable(txn, self.org.id, id).await?)
        {
            return Err(unknown_role(id));
        }
        let moved = members::Entity::update_many()
            .col_expr(members::Column::Role, Expr::value(target.clone()))
            .col_expr(members::Column::UpdatedAt, Expr::value(to_db(at)))
            .filter(members::Column::OrganizationId.eq(self.org.id))
            .filter(members::Column::Role.eq(self.key))
            .exec(txn)
            .await
            .map_err(db_err)?
            .rows_affected;
        invitations::Entity::update_many()
            .col_expr(invitations::Column::Role, Expr::value(target.clone()))
            .filter(invitations::Column::OrganizationId.eq(self.org.id))
            .filter(invitations::Column::Role.eq(self.key))
            .filter(invitations::Column::Status.eq(PENDING))
            .exec(txn)
            .await
            .map_err(db_err)?;
        if self.is_default() {
            self.settings.default_role_id = Some(target);
            let settings =
                serde_json::to_value(&self.settings).map_err(|e| corrupt("settings", e))?;
            organizations::Entity::update_many()
                .col_expr(organizations::Column::Settings, Expr::value(settings))
                .filter(organizations::Column::Id.eq(self.org.id))
                .exec(txn)
                .await
                .map_err(db_err)?;
        }
        Ok(moved)
    }

    fn in_use(&self) -> DomainError {
        let mut held = Vec::new();
        if self.members > 0 {
            held.push(format!("{} member(s)", self.members));
        }
        if self.invitations > 0 {
            held.push(format!("{} pending invitation(s)", self.invitations));
        }
        if self.is_default() {
            held.push("the organization's default role setting".to_owned());
        }
        DomainError::conflict(
            "role_in_use",
            format!(
                "the role is held by {}; pass reassign_to to move them to another role",
                held.join(" and ")
            ),
        )
    }
}

const PENDING: &str = InvitationStatus::Pending.as_str();

fn pending_invitations(
    org: &organizations::Model,
    key: &str,
) -> sea_orm::Select<invitations::Entity> {
    invitations::Entity::find()
        .filter(invitations::Column::OrganizationId.eq(org.id))
        .filter(invitations::Column::Role.eq(key))
        .filter(invitations::Column::Status.eq(PENDING))
}

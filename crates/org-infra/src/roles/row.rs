//! The custom role row: conversions both ways, and the check every writer runs (under the
//! org's lock) before it lets a membership, invitation or setting name a custom role.
use org_domain::permissions::{Permission, PermissionSet};
use org_domain::roles::{CustomRole, CustomRoleGrant, RoleKey, SystemRole};
use org_domain::{DomainError, Result};
use sea_orm::sqlx::types::Json;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter,
};
use uuid::Uuid;

use crate::db::columns::{Columns, ReadColumns};
use crate::db::{corrupt, db_err, from_db, to_db};
use crate::entities::custom_roles::{self, Column as R};

/// The case-insensitive form names are unique by (`RoleName::key`).
pub(super) fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// What memberships hold to get the role: the shadowed system key, else the id.
fn role_key(id: Uuid, name_key: &str) -> String {
    SystemRole::from_key(name_key)
        .map_or_else(|| RoleKey::Custom(id).to_string(), |r| r.key().to_owned())
}

/// A stored permission list (JSON array of names); an unknown name is corruption.
fn permissions(json: serde_json::Value) -> Result<PermissionSet> {
    let names: Vec<String> = serde_json::from_value(json).map_err(|e| corrupt("permissions", e))?;
    names
        .iter()
        .map(|n| Permission::parse(n))
        .collect::<Result<PermissionSet>>()
        .map_err(|e| corrupt("permissions", e))
}

pub(super) fn to_domain(m: custom_roles::Model) -> Result<CustomRole> {
    Ok(CustomRole {
        id: m.id,
        organization_id: m.organization_id,
        shadows: SystemRole::from_key(&m.name_key),
        permissions: permissions(m.permissions)?,
        name: m.name,
        description: m.description,
        created: from_db(m.created_at),
        updated: from_db(m.updated_at),
    })
}

/// The columns `update` writes; `insert` adds the id, org and creation time. The keys are
/// derived from the name here, so the stored keys always agree with it.
pub(super) fn fields(role: &CustomRole) -> Result<custom_roles::ActiveModel> {
    let key = name_key(&role.name);
    let permissions =
        serde_json::to_value(role.permissions.names()).map_err(|e| corrupt("permissions", e))?;
    Ok(custom_roles::ActiveModel {
        id: NotSet,
        organization_id: NotSet,
        name: Set(role.name.clone()),
        role_key: Set(role_key(role.id, &key)),
        name_key: Set(key),
        description: Set(role.description.clone()),
        permissions: Set(permissions),
        created_at: NotSet,
        updated_at: Set(to_db(role.updated)),
    })
}

/// The custom role columns of a `LEFT JOIN` (`<alias>_id`, `<alias>_name`,
/// `<alias>_permissions`, read by position): all NULL when there is none.
#[derive(Debug)]
pub(crate) struct GrantRow {
    id: Option<Uuid>,
    name: Option<String>,
    permissions: Option<serde_json::Value>,
}

impl ReadColumns for GrantRow {
    fn read(c: &mut Columns<'_>) -> std::result::Result<Self, DbErr> {
        Ok(Self {
            id: c.get("id")?,
            name: c.get("name")?,
            permissions: c
                .get::<Option<Json<serde_json::Value>>>("permissions")?
                .map(|j| j.0),
        })
    }
}

impl GrantRow {
    /// No custom role.
    pub(crate) const NONE: Self = Self {
        id: None,
        name: None,
        permissions: None,
    };

    /// The custom role, if the join found one.
    pub(crate) fn into_grant(self) -> Result<Option<CustomRoleGrant>> {
        match (self.id, self.name, self.permissions) {
            (Some(id), Some(name), Some(perms)) => Ok(Some(CustomRoleGrant {
                id,
                name,
                permissions: permissions(perms)?,
            })),
            _ => Ok(None),
        }
    }
}

/// `422 unknown_role` for a custom role id the org does not have.
pub(crate) fn unknown_role(id: Uuid) -> DomainError {
    DomainError::unprocessable(
        "unknown_role",
        format!("'{id}' is not a role of this organization"),
    )
}

/// Whether memberships of the org can hold `id`: a custom role of the org that does not
/// shadow a system role (a shadowing role is held through the system key instead).
pub(crate) async fn holdable<C: ConnectionTrait>(db: &C, org_id: Uuid, id: Uuid) -> Result<bool> {
    let n = custom_roles::Entity::find()
        .filter(R::OrganizationId.eq(org_id))
        .filter(R::RoleKey.eq(id.to_string()))
        .count(db)
        .await
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Refuses a custom key the org cannot hand out. Callers hold the org's row lock, which a
/// role's deletion also takes, so the role cannot vanish before they commit.
///
/// # Errors
/// `Unprocessable { code: "unknown_role" }`.
pub(crate) async fn ensure_holdable<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    key: RoleKey,
) -> Result<()> {
    if let RoleKey::Custom(id) = key
        && !holdable(db, org_id, id).await?
    {
        return Err(unknown_role(id));
    }
    Ok(())
}

//! Custom roles: list, read, create, update, delete (with reassignment), and resolving the
//! role a membership or invitation names.
use serde_json::{Value, json};
use uuid::Uuid;

use super::Services;
use crate::auth::Actor;
use crate::error::{DomainError, Result};
use crate::permissions::{Permission as P, PermissionSet};
use crate::policy::{Grant, may_manage_role, require_manage_role};
use crate::roles::{
    CustomRole, MemberRole, NewRole, RoleKey, RoleName, RolePatch, RoleSummary, SystemRole,
};
use crate::values::check_len;

fn unknown_role(input: &str) -> DomainError {
    DomainError::unprocessable(
        "unknown_role",
        format!("'{input}' is not a role of this organization"),
    )
}

fn role_not_found() -> DomainError {
    DomainError::not_found("role")
}

fn summary_of(r: &CustomRole) -> Value {
    json!({"name": r.name, "description": r.description, "permissions": r.permissions.names()})
}

/// Refuses a role change that would hand out (or take away) permissions the caller does not
/// hold. A role shadowing a system role changes what every holder of that system role may
/// do, so the caller must also be able to manage the system role itself (only owners touch
/// `owner`).
fn check_role_change(
    grant: &Grant,
    caller: Option<&MemberRole>,
    shadows: Option<SystemRole>,
    sets: &[PermissionSet],
) -> Result<()> {
    if grant.superuser {
        return Ok(());
    }
    if let Some(system) = shadows
        && !may_manage_role(grant, caller, &MemberRole::system(system))
    {
        return Err(DomainError::missing_permission(format!(
            "only someone who may manage the '{}' role can shadow it",
            system.key()
        )));
    }
    let missing = sets
        .iter()
        .fold(PermissionSet::EMPTY, |acc, s| acc.union(*s))
        .minus(grant.permissions);
    if !missing.is_empty() {
        return Err(DomainError::missing_permission(format!(
            "you cannot grant or take away permissions you do not hold: {}",
            missing.names().join(", ")
        )));
    }
    Ok(())
}

fn parse_description(d: Option<String>) -> Result<Option<String>> {
    if let Some(d) = &d {
        check_len("description", d, 0, 500)?;
    }
    Ok(d)
}

impl Services {
    /// The org's roles: the three system roles (with the custom role shadowing each, if
    /// any), then the custom roles by name, each with the number of members holding it.
    ///
    /// # Errors
    /// `404`; `403` without `roles:read`.
    pub async fn list_roles(&self, actor: &Actor, org: &str) -> Result<Vec<RoleSummary>> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::RolesRead]))?;
        self.role_summaries(access.org.id).await
    }

    /// One role: a system key or a custom role's id.
    ///
    /// # Errors
    /// `404` (also for unknown roles); `403` without `roles:read`.
    pub async fn get_role(&self, actor: &Actor, org: &str, id: &str) -> Result<RoleSummary> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::RolesRead]))?;
        let key = RoleKey::parse(id).map_err(|_| role_not_found())?;
        self.role_summaries(access.org.id)
            .await?
            .into_iter()
            .find(|s| match (&s.custom, key) {
                (Some(c), RoleKey::Custom(id)) => c.id == id,
                (None, RoleKey::System(r)) => s.key == RoleKey::System(r),
                _ => false,
            })
            .ok_or_else(role_not_found)
    }

    /// Creates a custom role; a name equal to a system key shadows that system role.
    ///
    /// # Errors
    /// `404`; `403` without `roles:create` or when the role carries a permission the caller
    /// lacks; `422` for a bad name, description or permission; `409 role_name_taken`.
    pub async fn create_role(&self, actor: &Actor, org: &str, req: NewRole) -> Result<RoleSummary> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::RolesCreate]))?;
        let name = RoleName::parse(&req.name)?;
        let description = parse_description(req.description)?;
        let permissions = PermissionSet::parse_list("permissions", &req.permissions)?;
        check_role_change(&grant, access.role.as_ref(), name.shadows(), &[permissions])?;
        let now = self.ports.clock.now();
        let role = CustomRole {
            id: self.ports.ids.new_id(),
            organization_id: access.org.id,
            name: name.as_str().to_owned(),
            description,
            permissions,
            shadows: name.shadows(),
            created: now,
            updated: now,
        };
        let event = self.event(
            Some(actor),
            Some(access.org.id),
            "role.created",
            "role",
            role.id,
            None,
            Some(summary_of(&role)),
        );
        self.ports.roles.insert(&role, &event).await?;
        self.summary_of_custom(role).await
    }

    /// Changes a custom role's name, description or permissions. System roles cannot be
    /// changed (shadow them instead), and a rename cannot start or stop shadowing.
    ///
    /// # Errors
    /// `404`; `403` without `roles:update`, on escalation, or for a system role; `422`;
    /// `409 role_name_taken`.
    pub async fn update_role(
        &self,
        actor: &Actor,
        org: &str,
        id: &str,
        patch: RolePatch,
    ) -> Result<RoleSummary> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::RolesUpdate]))?;
        let before = self.custom_role_at(access.org.id, id).await?;
        let mut role = before.clone();
        if let Some(n) = &patch.name {
            let name = RoleName::parse(n)?;
            if name.shadows() != before.shadows {
                return Err(DomainError::invalid(
                    "name",
                    "a rename cannot make a role start or stop shadowing a system role; \
                     create or delete a role instead",
                ));
            }
            role.name = name.as_str().to_owned();
        }
        if let Some(d) = patch.description {
            role.description = parse_description(d)?;
        }
        if let Some(p) = &patch.permissions {
            role.permissions = PermissionSet::parse_list("permissions", p)?;
        }
        check_role_change(
            &grant,
            access.role.as_ref(),
            role.shadows,
            &[before.permissions, role.permissions],
        )?;
        if role == before {
            return self.summary_of_custom(role).await;
        }
        role.updated = self.ports.clock.now();
        let event = self.event(
            Some(actor),
            Some(access.org.id),
            "role.updated",
            "role",
            role.id,
            Some(summary_of(&before)),
            Some(summary_of(&role)),
        );
        self.ports.roles.update(&role, &event).await?;
        self.summary_of_custom(role).await
    }

    /// Deletes a custom role. Members and pending invitations holding it (and the org's
    /// default role, if it is this one) move to `reassign_to`; without it the deletion is
    /// refused while anything holds the role. A shadowing role can always be deleted: its
    /// holders fall back to the system role.
    ///
    /// # Errors
    /// `404`; `403` without `roles:delete`, on escalation, or for a system role;
    /// `409 role_in_use`; `422 unknown_role` for a bad `reassign_to`.
    pub async fn delete_role(
        &self,
        actor: &Actor,
        org: &str,
        id: &str,
        reassign_to: Option<String>,
    ) -> Result<()> {
        let (access, grant) = self.access(actor, org).await?;
        grant.require(PermissionSet::of(&[P::RolesDelete]))?;
        let org_id = access.org.id;
        let role = self.custom_role_at(org_id, id).await?;
        check_role_change(
            &grant,
            access.role.as_ref(),
            role.shadows,
            &[role.permissions],
        )?;
        let target = match reassign_to.as_deref() {
            Some(input) if role.shadows.is_none() => {
                let target = self.resolve_role(org_id, input).await?;
                // Owners are made one by one (and the default role may not be owner).
                if target.key.is_owner() {
                    return Err(DomainError::invalid(
                        "reassign_to",
                        "cannot reassign to owner; promote members to owner one by one",
                    ));
                }
                if target.key == role.key() {
                    return Err(DomainError::invalid(
                        "reassign_to",
                        "cannot reassign to the role being deleted",
                    ));
                }
                require_manage_role(&grant, access.role.as_ref(), &target)?;
                Some(target.key)
            }
            _ => None,
        };
        let event = self.event(
            Some(actor),
            Some(org_id),
            "role.deleted",
            "role",
            role.id,
            Some(summary_of(&role)),
            target.map(|k| json!({"reassigned_to": k.to_string()})),
        );
        self.ports.roles.delete(&role, target, &event).await?;
        Ok(())
    }

    /// A custom role of the org named by id in a path; system keys are refused.
    async fn custom_role_at(&self, org_id: Uuid, id: &str) -> Result<CustomRole> {
        if let Some(system) = SystemRole::from_key(id) {
            return Err(DomainError::forbidden(
                "illegal_operation",
                format!(
                    "the system role '{}' cannot be changed; create a custom role named '{}' to shadow it",
                    system.key(),
                    system.key()
                ),
            ));
        }
        let id = Uuid::parse_str(id).map_err(|_| role_not_found())?;
        self.ports
            .roles
            .get(org_id, id)
            .await?
            .ok_or_else(role_not_found)
    }

    /// Resolves a role named by a client for an assignment: a system key, a custom role's
    /// id, or a custom role's name. A shadowing role resolves to the system key it shadows.
    ///
    /// # Errors
    /// `422 unknown_role`.
    pub(super) async fn resolve_role(&self, org_id: Uuid, input: &str) -> Result<MemberRole> {
        if let Some(system) = SystemRole::from_key(input) {
            return self.role_of(org_id, RoleKey::System(system)).await;
        }
        let role = match Uuid::parse_str(input) {
            Ok(id) => self.ports.roles.get(org_id, id).await?,
            Err(_) => self.ports.roles.find_by_name(org_id, input).await?,
        }
        .ok_or_else(|| unknown_role(input))?;
        Ok(MemberRole {
            key: role.key(),
            custom: Some(role.grant()),
        })
    }

    /// The key of a role named in a request (as [`Services::resolve_role`]); a system key
    /// needs no lookup.
    ///
    /// # Errors
    /// `422 unknown_role`.
    pub(super) async fn role_key(&self, org_id: Uuid, input: &str) -> Result<RoleKey> {
        match SystemRole::from_key(input) {
            Some(system) => Ok(RoleKey::System(system)),
            None => Ok(self.resolve_role(org_id, input).await?.key),
        }
    }

    /// The role behind a stored key, with the custom role it is (or that shadows it). A
    /// custom key whose role vanished resolves to no permission at all.
    pub(super) async fn role_of(&self, org_id: Uuid, key: RoleKey) -> Result<MemberRole> {
        let custom = self.ports.roles.find(org_id, key).await?;
        Ok(MemberRole {
            key,
            custom: custom.map(|c| c.grant()),
        })
    }

    /// Every role of the org with its holder count (two queries).
    pub(super) async fn role_summaries(&self, org_id: Uuid) -> Result<Vec<RoleSummary>> {
        let custom = self.ports.roles.list(org_id).await?;
        let holders = self.ports.roles.holders(org_id).await?;
        let mut out: Vec<RoleSummary> = SystemRole::ALL
            .into_iter()
            .map(|r| RoleSummary {
                key: RoleKey::System(r),
                custom: None,
                name: r.key().to_owned(),
                description: Some(r.description().to_owned()),
                permissions: r.permissions(),
                shadowed_by: custom.iter().find(|c| c.shadows == Some(r)).map(|c| c.id),
                member_count: held(&holders, RoleKey::System(r)),
            })
            .collect();
        out.extend(custom.into_iter().map(|c| custom_summary(c, &holders)));
        Ok(out)
    }

    async fn summary_of_custom(&self, role: CustomRole) -> Result<RoleSummary> {
        let holders = self.ports.roles.holders(role.organization_id).await?;
        Ok(custom_summary(role, &holders))
    }
}

/// How many members hold `key`, from the port's per-key counts.
fn held(holders: &[(RoleKey, u64)], key: RoleKey) -> u64 {
    holders
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(0, |(_, n)| *n)
}

fn custom_summary(role: CustomRole, holders: &[(RoleKey, u64)]) -> RoleSummary {
    RoleSummary {
        key: role.key(),
        name: role.name.clone(),
        description: role.description.clone(),
        permissions: role.permissions,
        shadowed_by: None,
        member_count: held(holders, role.key()),
        custom: Some(role),
    }
}

#[cfg(test)]
#[path = "roles_tests.rs"]
mod tests;

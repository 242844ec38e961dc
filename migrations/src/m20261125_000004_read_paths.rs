//! Cheaper reads on the hot paths: JSON documents stored as `json`, and memberships by user
//! that carry the role.
//!
//! - PostgreSQL: `organizations.settings` / `.metadata`, `users.metadata` and
//!   `custom_roles.permissions` become `json` (was `jsonb`). Every request reads an org's
//!   settings (authentication with an org) and a user's orgs listing reads 100 of them; in
//!   the binary protocol a `jsonb` value is printed back to text for every row
//!   (`jsonb_send`), where a `json` value is sent as stored. orgd never queries inside these
//!   documents or compares them, it writes them whole; the `jsonb` parameters it binds are
//!   converted by PostgreSQL's assignment cast. The audit trail's `before` / `after` stay
//!   `jsonb` (written on every change, read rarely). SQLite stores JSON as text already and
//!   is left as it is.
//! - Both backends: `idx_members_user_org (user_id, organization_id)` becomes
//!   `idx_members_user_org_role (user_id, organization_id, role)`, so a user's memberships
//!   (the orgs listing, authentication with an org) are read from the index alone.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20250101_000001_initial::{Members, Organizations, Users, index};
use crate::m20261123_000002_roles_invitations::CustomRoles;
use crate::m20261124_000003_members_by_user::drop_index;

/// See the module documentation.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        json_columns(manager, false).await?;
        let cols: [DynIden; 3] = [
            Members::UserId.into_iden(),
            Members::OrganizationId.into_iden(),
            Members::Role.into_iden(),
        ];
        index(
            manager,
            "idx_members_user_org_role",
            Members::Table,
            &cols,
            false,
        )
        .await?;
        drop_index(manager, "idx_members_user_org").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let cols: [DynIden; 2] = [
            Members::UserId.into_iden(),
            Members::OrganizationId.into_iden(),
        ];
        index(
            manager,
            "idx_members_user_org",
            Members::Table,
            &cols,
            false,
        )
        .await?;
        drop_index(manager, "idx_members_user_org_role").await?;
        json_columns(manager, true).await
    }
}

/// Sets the four document columns' type on PostgreSQL, `json` or (`binary`) `jsonb`; the
/// values are converted by the assignment cast between the two. Nothing to do on SQLite.
async fn json_columns(manager: &SchemaManager<'_>, binary: bool) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let doc = |col: DynIden| {
        let mut def = ColumnDef::new(col);
        if binary {
            def.json_binary();
        } else {
            def.json();
        }
        def.not_null().to_owned()
    };
    for alter in [
        Table::alter()
            .table(Organizations::Table)
            .modify_column(doc(Organizations::Settings.into_iden()))
            .modify_column(doc(Organizations::Metadata.into_iden()))
            .to_owned(),
        Table::alter()
            .table(Users::Table)
            .modify_column(doc(Users::Metadata.into_iden()))
            .to_owned(),
        Table::alter()
            .table(CustomRoles::Table)
            .modify_column(doc(CustomRoles::Permissions.into_iden()))
            .to_owned(),
    ] {
        manager.alter_table(alter).await?;
    }
    Ok(())
}

//! The memberships-by-user index covers the org too: `(user_id, organization_id)`.
//!
//! With `(user_id)` alone, PostgreSQL's generic plan for authentication with an org
//! (org-infra's `tokens::with_org`) found a user's membership of one org by scanning all of
//! the user's memberships and filtering on the org, since both indexes looked equally
//! selective: 100 index entries for a user in 100 orgs. Now either index finds it by both
//! columns. The user's orgs listing still uses the `user_id` prefix.
use sea_orm_migration::prelude::*;

use crate::m20250101_000001_initial::{Members, index};

/// Replaces `idx_members_user (user_id)` by `idx_members_user_org (user_id, organization_id)`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
        drop_index(manager, "idx_members_user").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let cols: [DynIden; 1] = [Members::UserId.into_iden()];
        index(manager, "idx_members_user", Members::Table, &cols, false).await?;
        drop_index(manager, "idx_members_user_org").await
    }
}

/// Drops the memberships index `name`.
pub(crate) async fn drop_index(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table(Members::Table).to_owned())
        .await
}

//! Users, sessions and personal API keys.
use sea_orm_migration::prelude::*;

use super::organizations::Organizations;
use super::{flag, index, json, timestamp, timestamp_null, uuid_pk};

#[derive(DeriveIden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Email,
    Username,
    Name,
    AvatarUrl,
    Company,
    JobTitle,
    Metadata,
    PasswordHash,
    IsActive,
    IsSuperuser,
    IsServiceAccount,
    IsOnboarded,
    TwoFactorEnabled,
    TotpSecret,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Sessions {
    Table,
    Id,
    UserId,
    TokenHash,
    ActiveOrganizationId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ApiKeys {
    Table,
    Id,
    UserId,
    Name,
    Prefix,
    TokenHash,
    Scopes,
    OrganizationId,
    ExpiresAt,
    LastUsedAt,
    CreatedAt,
}

pub(super) async fn create_users(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Users::Table)
            .col(uuid_pk(Users::Id))
            // Stored lower-cased by the application: a plain unique index is case-insensitive.
            .col(ColumnDef::new(Users::Email).text().not_null())
            .col(ColumnDef::new(Users::Username).text().not_null())
            .col(ColumnDef::new(Users::Name).text().null())
            .col(ColumnDef::new(Users::AvatarUrl).text().null())
            .col(ColumnDef::new(Users::Company).text().null())
            .col(ColumnDef::new(Users::JobTitle).text().null())
            .col(json(Users::Metadata))
            .col(ColumnDef::new(Users::PasswordHash).text().null())
            .col(
                ColumnDef::new(Users::IsActive)
                    .boolean()
                    .not_null()
                    .default(true),
            )
            .col(flag(Users::IsSuperuser))
            .col(flag(Users::IsServiceAccount))
            .col(flag(Users::IsOnboarded))
            .col(flag(Users::TwoFactorEnabled))
            // Base32 TOTP secret: pending while `two_factor_enabled` is false, in force once
            // it is true; never sent to clients.
            .col(ColumnDef::new(Users::TotpSecret).text().null())
            .col(timestamp(Users::CreatedAt))
            .col(timestamp(Users::UpdatedAt))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "uq_users_email",
        Users::Table,
        &[Users::Email.into_iden()],
        true,
    )
    .await
}

pub(super) async fn create_tokens(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Sessions::Table)
            .col(uuid_pk(Sessions::Id))
            .col(ColumnDef::new(Sessions::UserId).uuid().not_null())
            .col(ColumnDef::new(Sessions::TokenHash).text().not_null())
            .col(ColumnDef::new(Sessions::ActiveOrganizationId).uuid().null())
            .col(timestamp(Sessions::CreatedAt))
            .col(timestamp(Sessions::ExpiresAt))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_sessions_user")
                    .from(Sessions::Table, Sessions::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_sessions_active_organization")
                    .from(Sessions::Table, Sessions::ActiveOrganizationId)
                    .to(Organizations::Table, Organizations::Id)
                    .on_delete(ForeignKeyAction::SetNull),
            )
            .to_owned(),
    )
    .await?;
    let t = Sessions::Table;
    index(
        m,
        "uq_sessions_token_hash",
        t,
        &[Sessions::TokenHash.into_iden()],
        true,
    )
    .await?;
    index(
        m,
        "idx_sessions_user",
        t,
        &[Sessions::UserId.into_iden()],
        false,
    )
    .await?;

    m.create_table(
        Table::create()
            .table(ApiKeys::Table)
            .col(uuid_pk(ApiKeys::Id))
            .col(ColumnDef::new(ApiKeys::UserId).uuid().not_null())
            .col(ColumnDef::new(ApiKeys::Name).text().not_null())
            .col(ColumnDef::new(ApiKeys::Prefix).text().not_null())
            .col(ColumnDef::new(ApiKeys::TokenHash).text().not_null())
            // A JSON array of canonical permission names.
            .col(ColumnDef::new(ApiKeys::Scopes).text().not_null())
            .col(ColumnDef::new(ApiKeys::OrganizationId).uuid().null())
            .col(timestamp_null(ApiKeys::ExpiresAt))
            .col(timestamp_null(ApiKeys::LastUsedAt))
            .col(timestamp(ApiKeys::CreatedAt))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_api_keys_user")
                    .from(ApiKeys::Table, ApiKeys::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_api_keys_organization")
                    .from(ApiKeys::Table, ApiKeys::OrganizationId)
                    .to(Organizations::Table, Organizations::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await?;
    let t = ApiKeys::Table;
    index(
        m,
        "uq_api_keys_token_hash",
        t,
        &[ApiKeys::TokenHash.into_iden()],
        true,
    )
    .await?;
    index(
        m,
        "idx_api_keys_user",
        t,
        &[ApiKeys::UserId.into_iden()],
        false,
    )
    .await
}

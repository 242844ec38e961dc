//! Organizations, memberships and the audit trail.
use sea_orm_migration::prelude::*;

use super::identity::Users;
use super::{flag, index, json, timestamp, timestamp_null, uuid_pk};

#[derive(DeriveIden, Clone, Copy)]
pub enum Organizations {
    Table,
    Id,
    Name,
    Slug,
    Description,
    LogoUrl,
    Timezone,
    OwnerId,
    Metadata,
    Settings,
    RegistryKey,
    HasActiveSubscription,
    TrialExpiry,
    MemberCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Members {
    Table,
    OrganizationId,
    UserId,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Before,
    After,
    RequestId,
    CreatedAt,
}

pub(super) async fn create_organizations(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Organizations as O;
    m.create_table(
        Table::create()
            .table(O::Table)
            .col(uuid_pk(O::Id))
            .col(ColumnDef::new(O::Name).text().not_null())
            .col(ColumnDef::new(O::Slug).text().not_null())
            .col(ColumnDef::new(O::Description).text().null())
            .col(ColumnDef::new(O::LogoUrl).text().null())
            .col(ColumnDef::new(O::Timezone).text().not_null())
            .col(ColumnDef::new(O::OwnerId).uuid().not_null())
            .col(json(O::Metadata))
            .col(json(O::Settings))
            .col(ColumnDef::new(O::RegistryKey).text().not_null())
            .col(flag(O::HasActiveSubscription))
            .col(timestamp_null(O::TrialExpiry))
            .col(
                ColumnDef::new(O::MemberCount)
                    .big_integer()
                    .not_null()
                    .default(0),
            )
            .col(timestamp(O::CreatedAt))
            .col(timestamp(O::UpdatedAt))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_organizations_owner")
                    .from(O::Table, O::OwnerId)
                    .to(Users::Table, Users::Id),
            )
            .to_owned(),
    )
    .await?;
    index(
        m,
        "uq_organizations_slug",
        O::Table,
        &[O::Slug.into_iden()],
        true,
    )
    .await?;
    index(
        m,
        "idx_organizations_name",
        O::Table,
        &[O::Name.into_iden()],
        false,
    )
    .await?;
    index(
        m,
        "idx_organizations_owner",
        O::Table,
        &[O::OwnerId.into_iden()],
        false,
    )
    .await
}

pub(super) async fn create_members(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Members as M;
    m.create_table(
        Table::create()
            .table(M::Table)
            .col(ColumnDef::new(M::OrganizationId).uuid().not_null())
            .col(ColumnDef::new(M::UserId).uuid().not_null())
            // `owner`, `admin`, `member` or a custom role's UUID.
            .col(ColumnDef::new(M::Role).text().not_null())
            .col(timestamp(M::CreatedAt))
            .col(timestamp(M::UpdatedAt))
            .primary_key(
                Index::create()
                    .name("pk_members")
                    .col(M::OrganizationId)
                    .col(M::UserId),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_members_organization")
                    .from(M::Table, M::OrganizationId)
                    .to(Organizations::Table, Organizations::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_members_user")
                    .from(M::Table, M::UserId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await?;
    let cols = |c: &[M]| c.iter().map(|c| (*c).into_iden()).collect::<Vec<_>>();
    index(m, "idx_members_user", M::Table, &cols(&[M::UserId]), false).await?;
    index(
        m,
        "idx_members_org_role",
        M::Table,
        &cols(&[M::OrganizationId, M::Role]),
        false,
    )
    .await?;
    // Backs the member listing's `ORDER BY created_at, user_id` within one org.
    let listing = cols(&[M::OrganizationId, M::CreatedAt, M::UserId]);
    index(m, "idx_members_org_created", M::Table, &listing, false).await
}

pub(super) async fn create_audit_events(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use AuditEvents as A;
    m.create_table(
        Table::create()
            .table(A::Table)
            .col(uuid_pk(A::Id))
            // No foreign key: the trail outlives the organization it describes.
            .col(ColumnDef::new(A::OrganizationId).uuid().null())
            .col(ColumnDef::new(A::ActorId).uuid().null())
            .col(ColumnDef::new(A::Action).text().not_null())
            .col(ColumnDef::new(A::TargetType).text().not_null())
            .col(ColumnDef::new(A::TargetId).text().not_null())
            .col(ColumnDef::new(A::Before).json_binary().null())
            .col(ColumnDef::new(A::After).json_binary().null())
            .col(ColumnDef::new(A::RequestId).text().null())
            .col(timestamp(A::CreatedAt))
            .to_owned(),
    )
    .await?;
    let cols = [A::OrganizationId.into_iden(), A::CreatedAt.into_iden()];
    index(m, "idx_audit_events_org_created", A::Table, &cols, false).await
}

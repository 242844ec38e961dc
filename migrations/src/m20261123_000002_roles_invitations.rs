//! Custom organization roles, invitations, and the outbox of the default mailer.
//!
//! Index names are part of the contract with `org-infra`, which tells unique violations
//! apart by the constraint named in the error (`role_name`, `token_hash`, `pending`).
use sea_orm_migration::prelude::*;

use crate::m20250101_000001_initial::{
    Organizations, Users, index, json, timestamp, timestamp_null, uuid_pk,
};

/// Creates `custom_roles`, `invitations` and `outbox`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum CustomRoles {
    Table,
    Id,
    OrganizationId,
    Name,
    NameKey,
    RoleKey,
    Description,
    Permissions,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Invitations {
    Table,
    Id,
    OrganizationId,
    Email,
    Role,
    Status,
    TokenHash,
    InviterId,
    ExpiresAt,
    RespondedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Outbox {
    Table,
    Id,
    Recipient,
    Subject,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_custom_roles(manager).await?;
        create_invitations(manager).await?;
        create_outbox(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Outbox::Table.into_iden(),
            Invitations::Table.into_iden(),
            CustomRoles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

fn cols<T: IntoIden + Copy>(c: &[T]) -> Vec<DynIden> {
    c.iter().map(|c| (*c).into_iden()).collect()
}

async fn create_custom_roles(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use CustomRoles as R;
    m.create_table(
        Table::create()
            .table(R::Table)
            .col(uuid_pk(R::Id))
            .col(ColumnDef::new(R::OrganizationId).uuid().not_null())
            .col(ColumnDef::new(R::Name).text().not_null())
            // The name lower-cased: names are unique per org regardless of case, and a role
            // whose name_key is a system key (`admin`, …) shadows that system role.
            .col(ColumnDef::new(R::NameKey).text().not_null())
            // What memberships hold to get this role: the shadowed system key, or the
            // role's id as text. The access query joins `members.role` on it.
            .col(ColumnDef::new(R::RoleKey).text().not_null())
            .col(ColumnDef::new(R::Description).text().null())
            // Permission names (`users:read`, …) as a JSON array.
            .col(json(R::Permissions))
            .col(timestamp(R::CreatedAt))
            .col(timestamp(R::UpdatedAt))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_custom_roles_organization")
                    .from(R::Table, R::OrganizationId)
                    .to(Organizations::Table, Organizations::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned(),
    )
    .await?;
    let name = cols(&[R::OrganizationId, R::NameKey]);
    index(m, "uq_custom_roles_role_name", R::Table, &name, true).await?;
    let key = cols(&[R::OrganizationId, R::RoleKey]);
    index(m, "uq_custom_roles_role_key", R::Table, &key, true).await
}

async fn create_invitations(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Invitations as I;
    m.create_table(
        Table::create()
            .table(I::Table)
            .col(uuid_pk(I::Id))
            .col(ColumnDef::new(I::OrganizationId).uuid().not_null())
            // Normalized (lower-cased) like users.email.
            .col(ColumnDef::new(I::Email).text().not_null())
            // A role key: `admin`, `member`, … or a custom role's id.
            .col(ColumnDef::new(I::Role).text().not_null())
            // `pending`, `accepted`, `declined`, `revoked` or `expired`; a pending row past
            // `expires_at` is expired whether or not the column says so yet.
            .col(ColumnDef::new(I::Status).text().not_null())
            // SHA-256 of the emailed token, hex; the token itself is never stored.
            .col(ColumnDef::new(I::TokenHash).text().not_null())
            .col(ColumnDef::new(I::InviterId).uuid().null())
            .col(timestamp(I::ExpiresAt))
            .col(timestamp_null(I::RespondedAt))
            .col(timestamp(I::CreatedAt))
            .col(timestamp(I::UpdatedAt))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_invitations_organization")
                    .from(I::Table, I::OrganizationId)
                    .to(Organizations::Table, Organizations::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_invitations_inviter")
                    .from(I::Table, I::InviterId)
                    .to(Users::Table, Users::Id)
                    .on_delete(ForeignKeyAction::SetNull),
            )
            .to_owned(),
    )
    .await?;
    index(
        m,
        "uq_invitations_token_hash",
        I::Table,
        &cols(&[I::TokenHash]),
        true,
    )
    .await?;
    // At most one pending invitation per (org, email): the backstop of the service's check.
    m.create_index(
        Index::create()
            .name("uq_invitations_pending")
            .table(I::Table)
            .col(I::OrganizationId)
            .col(I::Email)
            .unique()
            .and_where(Expr::col(I::Status).eq("pending"))
            .to_owned(),
    )
    .await?;
    // The org's listing (newest first, by status) and the recipient's listing.
    let listing = cols(&[I::OrganizationId, I::CreatedAt]);
    index(m, "idx_invitations_org_created", I::Table, &listing, false).await?;
    let recipient = cols(&[I::Email, I::Status]);
    index(
        m,
        "idx_invitations_email_status",
        I::Table,
        &recipient,
        false,
    )
    .await
}

async fn create_outbox(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Outbox as O;
    m.create_table(
        Table::create()
            .table(O::Table)
            .col(uuid_pk(O::Id))
            .col(ColumnDef::new(O::Recipient).text().not_null())
            .col(ColumnDef::new(O::Subject).text().not_null())
            .col(ColumnDef::new(O::Body).text().not_null())
            .col(timestamp(O::CreatedAt))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "idx_outbox_created",
        O::Table,
        &cols(&[O::CreatedAt]),
        false,
    )
    .await
}

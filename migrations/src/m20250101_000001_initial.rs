//! The initial schema: identity (users, sessions, API keys), organizations, memberships and
//! the audit trail.
//!
//! Foreign keys are declared inside `CREATE TABLE` because SQLite cannot add them later.
//! Index names are part of the contract with `org-infra`, which tells unique violations
//! apart by the constraint named in the error (`slug`, `email`, …).
use sea_orm_migration::prelude::*;

mod identity;
mod organizations;

pub use identity::{ApiKeys, Sessions, Users};
pub use organizations::{AuditEvents, Members, Organizations};

/// Creates every table of orgd 0.1.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        identity::create_users(manager).await?;
        organizations::create_organizations(manager).await?;
        identity::create_tokens(manager).await?;
        organizations::create_members(manager).await?;
        organizations::create_audit_events(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first, so no foreign key is left dangling.
        for table in [
            AuditEvents::Table.into_iden(),
            Members::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Sessions::Table.into_iden(),
            Organizations::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A `timestamp with time zone` column (RFC 3339 text on SQLite).
pub(crate) fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// A nullable `timestamp with time zone` column.
pub(crate) fn timestamp_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

/// A JSON document column (`jsonb` on PostgreSQL, text on SQLite).
pub(crate) fn json(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).json_binary().not_null().to_owned()
}

/// A uuid primary key.
pub(crate) fn uuid_pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

/// A boolean column, false unless set.
pub(crate) fn flag(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

/// Creates a (possibly unique) index.
pub(crate) async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: &[DynIden],
    unique: bool,
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(c.clone());
    }
    if unique {
        idx.unique();
    }
    manager.create_index(idx.to_owned()).await
}

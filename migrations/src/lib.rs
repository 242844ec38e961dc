//! The orgd database schema, as sea-orm migrations that run unchanged on SQLite and
//! PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20250101_000001_initial;
mod m20261123_000002_roles_invitations;
mod m20261124_000003_members_by_user;
mod m20261125_000004_read_paths;
mod m20261206_000005_org_versions;
mod m20261207_000006_org_versions_once;
mod m20261208_000007_org_versions_update_first;

/// Runs orgd's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250101_000001_initial::Migration),
            Box::new(m20261123_000002_roles_invitations::Migration),
            Box::new(m20261124_000003_members_by_user::Migration),
            Box::new(m20261125_000004_read_paths::Migration),
            Box::new(m20261206_000005_org_versions::Migration),
            Box::new(m20261207_000006_org_versions_once::Migration),
            Box::new(m20261208_000007_org_versions_update_first::Migration),
        ]
    }
}

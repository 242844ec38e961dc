//! `org_versions` raised by a plain `UPDATE` where the counter exists (PostgreSQL).
//!
//! Migration 6's raise is an upsert: `INSERT … SELECT … WHERE EXISTS (the org) ON CONFLICT
//! DO UPDATE`. Every change paid for the `EXISTS` look-up of the org, the speculative
//! insertion's check of the primary key and the upsert's larger executor start-up, although
//! the counter row exists for every org but one never changed. A `perf` profile of a loop
//! of S5's write (a role change and its audit row per transaction) put the deferred trigger
//! at 14 % of the backend's CPU: a quarter of that executor start-up, an eighth the
//! `EXISTS`, a tenth the key check, 4 % the row's update itself. The member, invitation and
//! org triggers now run `UPDATE … WHERE xact IS DISTINCT FROM pg_current_xact_id()` first
//! and fall back to migration 6's upsert, unchanged, only when it changed no row: the
//! counter does not exist yet (a new org's first change: the upsert inserts it, or raises
//! what a concurrent first change inserted meanwhile), this transaction raised it already
//! (the upsert's guard leaves it), or the org is gone (its `EXISTS` inserts nothing). Under
//! READ COMMITTED the `UPDATE` waits for a concurrent raise's row lock and re-checks the
//! committed row, as the upsert's `DO UPDATE` does, so every committed transaction still
//! raises the counter exactly once.
//!
//! The price is paid by a transaction that changes several rows of one org: each row after
//! the first runs the `UPDATE` that finds the counter raised, then the upsert
//! (docs/performance.md, item 39: −27 µs per one-row transaction, +11 µs per further row).
//! The users trigger (many orgs per statement) and SQLite's triggers are unchanged.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::m20261207_000006_org_versions_once as once;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The `UPDATE` that raises `org`'s counter unless this transaction did, then `fallback`
/// (migration 6's upsert) if it changed no row.
fn update_first(org: &str, fallback: &str) -> String {
    format!(
        "UPDATE org_versions SET version = version + 1, xact = pg_current_xact_id()\n    \
           WHERE organization_id = {org} AND xact IS DISTINCT FROM pg_current_xact_id();\n  \
         IF NOT FOUND THEN\n    {fallback}\n  END IF;"
    )
}

/// The member / invitation and org trigger functions, raising by [`update_first`].
fn functions() -> String {
    let [of_row, of_org, _] = once::upserts(true);
    once::row_and_org_functions(
        &update_first("org", &of_row),
        &update_first("NEW.id", &of_org),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(&functions())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(&once::functions(true))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::functions;
    use crate::m20261207_000006_org_versions_once::upserts;

    /// Both functions try the guarded `UPDATE` first and keep migration 6's upsert, whole,
    /// as the fallback; the users function is not redefined.
    #[test]
    fn the_upsert_is_the_fallback() {
        let f = functions();
        assert_eq!(
            f.matches("WHERE organization_id = org AND xact IS DISTINCT FROM pg_current_xact_id();\n  IF NOT FOUND THEN")
                .count(),
            1,
            "{f}"
        );
        assert_eq!(
            f.matches("WHERE organization_id = NEW.id AND xact IS DISTINCT FROM pg_current_xact_id();\n  IF NOT FOUND THEN")
                .count(),
            1,
            "{f}"
        );
        let [of_row, of_org, _] = upserts(true);
        assert!(f.contains(&of_row) && f.contains(&of_org), "{f}");
        assert!(!f.contains("orgd_org_version_of_user"), "{f}");
    }
}

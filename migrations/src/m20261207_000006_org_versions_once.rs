//! `org_versions` raised once per transaction, not once per changed row (PostgreSQL).
//!
//! Migration 5's triggers raise an org's counter for every changed row, at the commit
//! (deferred). A transaction that changes many rows of one org — a bulk import of members,
//! say — therefore updated the same counter row once per row, and each update had to walk
//! the chain of the row versions the transaction had already written: the commit took
//! time quadratic in the rows (20,000 members added in one statement: ~5 s of commit).
//! Once per transaction is all the counter needs: its readers compare committed versions,
//! and a transaction's changes become visible together. The counter row now records the
//! transaction that last raised it (`xact`, a 64-bit id that never wraps), and a raise by
//! the same transaction leaves it as it is. (The raises run at the commit, so no savepoint
//! can undo one; a savepoint rolled back before it drops its changes' raises with them.)
//!
//! SQLite's triggers update the row in place (no version chain, one writer): unchanged.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The upserts that raise the counters, one per trigger function of migration 5 (of a
/// member or invitation row, of an org row, of a user's orgs); with `once`, each raises a
/// counter at most once per transaction. Migration 7 builds on the first two.
pub(crate) fn upserts(once: bool) -> [String; 3] {
    let (cols, vals, set, guard) = if once {
        (
            "(organization_id, version, xact)",
            ", pg_current_xact_id()",
            ", xact = pg_current_xact_id()",
            " WHERE org_versions.xact IS DISTINCT FROM pg_current_xact_id()",
        )
    } else {
        ("(organization_id, version)", "", "", "")
    };
    let upsert = |select: &str| {
        format!(
            "INSERT INTO org_versions {cols} {select}\n  \
             ON CONFLICT (organization_id) DO UPDATE SET version = org_versions.version + 1{set}{guard};"
        )
    };
    [
        upsert(&format!(
            "SELECT org, 1{vals} WHERE EXISTS (SELECT 1 FROM organizations WHERE id = org)"
        )),
        upsert(&format!(
            "SELECT NEW.id, 1{vals} WHERE EXISTS (SELECT 1 FROM organizations WHERE id = NEW.id)"
        )),
        upsert(&format!(
            "SELECT o, 1{vals} FROM (\n    \
               SELECT organization_id FROM members WHERE user_id = NEW.id\n    \
               UNION\n    \
               SELECT organization_id FROM invitations WHERE inviter_id = NEW.id\n  \
             ) AS s (o)\n  ORDER BY o"
        )),
    ]
}

/// `CREATE OR REPLACE FUNCTION {name}()`, a trigger function running `body`; the one of
/// member and invitation rows (`of_row`) declares `org`, the row's organization.
fn trigger_function(name: &str, of_row: bool, body: &str) -> String {
    let declare = if of_row {
        "DECLARE\n  org uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.organization_id ELSE NEW.organization_id END;\n"
    } else {
        ""
    };
    format!(
        "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         {declare}BEGIN\n  {body}\n  RETURN NULL;\nEND $$;\n"
    )
}

/// The member / invitation trigger function running `of_row` and the org trigger function
/// running `of_org` (migration 7 gives both other bodies).
pub(crate) fn row_and_org_functions(of_row: &str, of_org: &str) -> String {
    [
        trigger_function("orgd_org_version_of_row", true, of_row),
        trigger_function("orgd_org_version_of_org", false, of_org),
    ]
    .join("\n")
}

/// The trigger functions of migration 5 with [`upserts`]`(once)` as their bodies (what
/// migration 7's `down` restores, with `once`).
pub(crate) fn functions(once: bool) -> String {
    let [of_row, of_org, of_user] = upserts(once);
    format!(
        "{}\n{}",
        row_and_org_functions(&of_row, &of_org),
        trigger_function("orgd_org_version_of_user", false, &of_user)
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE org_versions ADD COLUMN xact xid8")
            .await?;
        db.execute_unprepared(&functions(true)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&functions(false)).await?;
        db.execute_unprepared("ALTER TABLE org_versions DROP COLUMN xact")
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::functions;

    /// Without `once`, the functions are migration 5's (what `down` restores); with it,
    /// every raise is guarded and records its transaction.
    #[test]
    fn once_only_adds_the_guard() {
        let plain = functions(false);
        assert!(!plain.contains("xact"), "{plain}");
        assert_eq!(plain.matches("ON CONFLICT").count(), 3);
        let once = functions(true);
        assert_eq!(
            once.matches("WHERE org_versions.xact IS DISTINCT FROM pg_current_xact_id()")
                .count(),
            3
        );
        assert_eq!(once.matches("(organization_id, version, xact)").count(), 3);
    }
}

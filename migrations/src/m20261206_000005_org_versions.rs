//! `org_versions`: a counter per organization that every committed change to what its
//! listings show — its members, its invitations, its own row, and the public profile of a
//! user who is a member or an inviter there — raises, in the same transaction, by trigger.
//!
//! Authentication reads an org's counter in the statement that checks the credential and
//! the membership, so a request knows the version of the org's data as of its own
//! snapshot. An adapter that keeps a listing together with the version it was read at (in
//! the same statement) may answer a request that read the same version from memory: the
//! counter only grows and is written under its row lock, so two snapshots that read the
//! same value saw the same committed changes to the listing's rows. No application code
//! path can forget to raise it: the triggers do.
//!
//! - PostgreSQL: constraint triggers, `DEFERRABLE INITIALLY DEFERRED`, so a transaction
//!   takes the counter's row lock only at its commit, after every other lock it takes. A
//!   transaction that locks the org row first and one that locks a member row first (the
//!   role change without the org's lock) therefore never wait for each other's counter
//!   while holding what the other needs. The users trigger raises its orgs' counters in
//!   org id order, one statement.
//! - SQLite: plain `AFTER` triggers (one writer at a time: nothing to order).
//!
//! A missing row is version 0; the first change inserts it. The `EXISTS` guard keeps a
//! deleted org's cascaded member and invitation deletes from inserting a row for it.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::m20250101_000001_initial::Organizations;

#[derive(DeriveIden, Clone, Copy)]
pub enum OrgVersions {
    Table,
    OrganizationId,
    Version,
}

/// See the module documentation.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// PostgreSQL: the trigger functions and triggers.
const POSTGRES_UP: &str = r"
CREATE FUNCTION orgd_org_version_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  org uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.organization_id ELSE NEW.organization_id END;
BEGIN
  INSERT INTO org_versions (organization_id, version)
  SELECT org, 1 WHERE EXISTS (SELECT 1 FROM organizations WHERE id = org)
  ON CONFLICT (organization_id) DO UPDATE SET version = org_versions.version + 1;
  RETURN NULL;
END $$;

CREATE FUNCTION orgd_org_version_of_org() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO org_versions (organization_id, version)
  SELECT NEW.id, 1 WHERE EXISTS (SELECT 1 FROM organizations WHERE id = NEW.id)
  ON CONFLICT (organization_id) DO UPDATE SET version = org_versions.version + 1;
  RETURN NULL;
END $$;

CREATE FUNCTION orgd_org_version_of_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO org_versions (organization_id, version)
  SELECT o, 1 FROM (
    SELECT organization_id FROM members WHERE user_id = NEW.id
    UNION
    SELECT organization_id FROM invitations WHERE inviter_id = NEW.id
  ) AS s (o)
  ORDER BY o
  ON CONFLICT (organization_id) DO UPDATE SET version = org_versions.version + 1;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER trg_members_org_version
  AFTER INSERT OR UPDATE OR DELETE ON members DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION orgd_org_version_of_row();

CREATE CONSTRAINT TRIGGER trg_invitations_org_version
  AFTER INSERT OR UPDATE OR DELETE ON invitations DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION orgd_org_version_of_row();

CREATE CONSTRAINT TRIGGER trg_organizations_org_version
  AFTER UPDATE ON organizations DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION orgd_org_version_of_org();

CREATE CONSTRAINT TRIGGER trg_users_org_version
  AFTER UPDATE OF username, name, email, avatar_url ON users DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN ((OLD.username, OLD.name, OLD.email, OLD.avatar_url)
        IS DISTINCT FROM (NEW.username, NEW.name, NEW.email, NEW.avatar_url))
  EXECUTE FUNCTION orgd_org_version_of_user();
";

const POSTGRES_DOWN: &str = r"
DROP TRIGGER IF EXISTS trg_users_org_version ON users;
DROP TRIGGER IF EXISTS trg_organizations_org_version ON organizations;
DROP TRIGGER IF EXISTS trg_invitations_org_version ON invitations;
DROP TRIGGER IF EXISTS trg_members_org_version ON members;
DROP FUNCTION IF EXISTS orgd_org_version_of_user();
DROP FUNCTION IF EXISTS orgd_org_version_of_org();
DROP FUNCTION IF EXISTS orgd_org_version_of_row();
";

/// SQLite: raise `org`'s counter (an expression over `NEW` / `OLD`). Not `INSERT OR
/// IGNORE`: a trigger's conflict clause gives way to that of the statement firing it.
fn sqlite_bump(org: &str) -> String {
    format!(
        "INSERT INTO org_versions (organization_id, version) \
         SELECT {org}, 0 WHERE EXISTS (SELECT 1 FROM organizations WHERE id = {org}) \
         AND NOT EXISTS (SELECT 1 FROM org_versions WHERE organization_id = {org}); \
         UPDATE org_versions SET version = version + 1 WHERE organization_id = {org};"
    )
}

/// SQLite: the triggers, by name, with their bodies.
fn sqlite_triggers() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for table in ["members", "invitations"] {
        for (event, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
            let name = format!("trg_{table}_org_version_{}", event.to_lowercase());
            let body = sqlite_bump(&format!("{row}.organization_id"));
            out.push((
                name.clone(),
                format!("CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body} END"),
            ));
        }
    }
    let name = "trg_organizations_org_version".to_owned();
    out.push((
        name.clone(),
        format!(
            "CREATE TRIGGER {name} AFTER UPDATE ON organizations BEGIN {} END",
            sqlite_bump("NEW.id")
        ),
    ));
    let name = "trg_users_org_version".to_owned();
    out.push((
        name.clone(),
        format!(
            "CREATE TRIGGER {name} AFTER UPDATE OF username, name, email, avatar_url ON users \
             WHEN OLD.username IS NOT NEW.username OR OLD.name IS NOT NEW.name \
               OR OLD.email IS NOT NEW.email OR OLD.avatar_url IS NOT NEW.avatar_url \
             BEGIN \
               INSERT INTO org_versions (organization_id, version) \
                 SELECT o, 0 FROM ( \
                   SELECT organization_id AS o FROM members WHERE user_id = NEW.id \
                   UNION SELECT organization_id FROM invitations WHERE inviter_id = NEW.id) \
                 WHERE o NOT IN (SELECT organization_id FROM org_versions); \
               UPDATE org_versions SET version = version + 1 WHERE organization_id IN ( \
                 SELECT organization_id FROM members WHERE user_id = NEW.id \
                 UNION SELECT organization_id FROM invitations WHERE inviter_id = NEW.id); \
             END"
        ),
    ));
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use OrgVersions as V;
        manager
            .create_table(
                Table::create()
                    .table(V::Table)
                    .col(
                        ColumnDef::new(V::OrganizationId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(V::Version).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_org_versions_organization")
                            .from(V::Table, V::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_UP).await?;
            }
            _ => {
                for (_, sql) in sqlite_triggers() {
                    db.execute_unprepared(&sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_DOWN).await?;
            }
            _ => {
                for (name, _) in sqlite_triggers() {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
                        .await?;
                }
            }
        }
        manager
            .drop_table(Table::drop().table(OrgVersions::Table).to_owned())
            .await
    }
}

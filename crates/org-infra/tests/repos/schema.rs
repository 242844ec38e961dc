//! The schema of the read paths (migration 4): JSON documents as `json` on PostgreSQL,
//! memberships by user carrying the role; and what is stored survives the migration both ways.
use migration::{Migrator, MigratorTrait};
use org_domain::organizations::OrgRef;
use org_domain::permissions::Permission as P;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use crate::both;
use crate::support::TestDb;

both!(documents_survive_the_read_paths_migration_both_ways);

/// The type of each document column (PostgreSQL), and the columns of the memberships-by-user
/// index, as the database reports them.
async fn schema(t: &TestDb) -> (Vec<String>, String) {
    let db = t.db.connection();
    let backend = db.get_database_backend();
    let types = if backend == DbBackend::Postgres {
        let mut out = Vec::new();
        for (table, col) in [
            ("organizations", "settings"),
            ("organizations", "metadata"),
            ("users", "metadata"),
            ("custom_roles", "permissions"),
            ("audit_events", "before"),
            ("audit_events", "after"),
        ] {
            let row = db
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT data_type FROM information_schema.columns \
                     WHERE table_name = $1 AND column_name = $2",
                    [table.into(), col.into()],
                ))
                .await
                .unwrap()
                .unwrap();
            out.push(row.try_get::<String>("", "data_type").unwrap());
        }
        out
    } else {
        Vec::new()
    };
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT indexdef AS def FROM pg_indexes \
             WHERE tablename = 'members' AND indexname LIKE 'idx_members_user%'"
        }
        _ => {
            "SELECT sql AS def FROM sqlite_master \
             WHERE tbl_name = 'members' AND name LIKE 'idx_members_user%'"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one memberships-by-user index");
    let def: String = rows[0].try_get("", "def").unwrap();
    (types, def.replace('"', ""))
}

async fn documents_survive_the_read_paths_migration_both_ways(t: &TestDb) {
    let pg = t.db.connection().get_database_backend() == DbBackend::Postgres;
    let mut u = t.new_user("doc@x.io");
    u.metadata = json!({"quote": "a \"b\" \\ c", "snow": "☃ 雪", "n": [0, -7, 12345678901_i64], "nested": {"empty": {}, "null": null}});
    let ev = t.event(None, "user.created", u.id);
    t.ports.users.insert(&u, None, &ev).await.unwrap();
    let mut o = t.new_org(&u, "Docs", "docs");
    o.metadata = json!({"tags": ["x", "y"], "line\nbreak": true});
    o.settings.members_can_invite = true;
    o.settings.default_role_id = Some("member".into());
    let ev = t.event(Some(o.id), "organization.created", o.id);
    t.ports.organizations.insert(&o, None, &ev).await.unwrap();
    let role = t
        .role(o.id, "Reviewer", &[P::UsersRead, P::AuditRead])
        .await;

    migrated(t, pg).await;

    // Down past migration 4 (7, 6 and 5, the org versions, go first): the documents are jsonb
    // again and the index has no role; nothing is lost.
    let db = t.db.connection();
    Migrator::down(db, Some(4)).await.unwrap();
    let (types, index) = schema(t).await;
    if pg {
        assert_eq!(types, ["jsonb"; 6]);
    }
    assert!(
        index.contains("idx_members_user_org ") && index.contains("(user_id, organization_id)"),
        "{index}"
    );
    Migrator::up(db, None).await.unwrap();
    migrated(t, pg).await;

    // Everything reads back as written, and writes again.
    let users = &t.ports.users;
    assert_eq!(users.find_by_id(u.id).await.unwrap(), Some(u.clone()));
    let got = t
        .ports
        .organizations
        .access(&OrgRef::Id(o.id), u.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.org, o);
    assert_eq!(t.ports.roles.get(o.id, role.id).await.unwrap(), Some(role));
    u.metadata = json!({"after": ["migration", 2]});
    let ev = t.event(None, "user.updated", u.id);
    users.update(&u, None, &ev).await.unwrap();
    assert_eq!(users.find_by_id(u.id).await.unwrap(), Some(u));
}

/// The schema as migration 4 leaves it: `json` documents except the audit trail's, and
/// memberships by user with their role.
async fn migrated(t: &TestDb, pg: bool) {
    let (types, index) = schema(t).await;
    if pg {
        assert_eq!(types, ["json", "json", "json", "json", "jsonb", "jsonb"]);
    }
    assert!(
        index.contains("idx_members_user_org_role")
            && index.contains("(user_id, organization_id, role)"),
        "{index}"
    );
}

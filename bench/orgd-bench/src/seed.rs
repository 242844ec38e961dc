//! Bulk-inserting the data set into orgd's schema (after `orgd migrate`), then checking the
//! counts and writing the files the wrk script and the report read.
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result, ensure};
use org_domain::ports::PasswordHasher as _;
use org_infra::Argon2Hasher;
use org_infra::entities::{invitations, members, organizations, sessions, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait as _, ConnectionTrait, Database, DbBackend, EntityTrait,
    PaginatorTrait as _, QueryFilter as _, Statement, TransactionTrait as _,
};
use serde_json::json;

mod data;

/// Seeds `url` (migrated, empty) and writes `out/{hot_token,hot_orgs,s5_targets}.txt` and
/// `out/seed.json`.
pub async fn seed(url: &str, out: &Path, sqlite_analyze: bool) -> Result<()> {
    let t0 = Instant::now();
    // One real argon2id hash (orgd's own hasher, default parameters) shared by every user,
    // so any bench user can also log in with data::PASSWORD.
    let hash = Argon2Hasher.hash(data::PASSWORD).await?;
    let set = data::generate(time::OffsetDateTime::now_utc(), &hash)?;
    let db = Database::connect(url).await.context("connecting")?;
    let backend = db.get_database_backend();

    let txn = db.begin().await?;
    let n_users = bulk(&txn, set.users, 1000).await?;
    let n_orgs = bulk(&txn, set.orgs, 1000).await?;
    let n_members = bulk(&txn, set.members, 5000).await?;
    let n_sessions = bulk(&txn, set.sessions, 4000).await?;
    let n_invites = bulk(&txn, set.invitations, 1000).await?;
    txn.commit().await?;
    let t_insert = t0.elapsed();

    match backend {
        DbBackend::Postgres => db.execute_unprepared("VACUUM ANALYZE").await.map(drop)?,
        _ => {
            if sqlite_analyze {
                db.execute_unprepared("ANALYZE").await?;
            }
            // Fold the WAL into the main file, as a server restart would.
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
    }
    let t_done = t0.elapsed();

    let counts = json!({
        "users": users::Entity::find().count(&db).await?,
        "sessions": sessions::Entity::find().count(&db).await?,
        "organizations": organizations::Entity::find().count(&db).await?,
        "members": members::Entity::find().count(&db).await?,
        "invitations": invitations::Entity::find().count(&db).await?,
    });
    let mut roles = serde_json::Map::new();
    for role in ["owner", "admin", "member"] {
        let n = members::Entity::find()
            .filter(members::Column::Role.eq(role))
            .count(&db)
            .await?;
        roles.insert(role.to_owned(), n.into());
    }
    let hot_memberships = members::Entity::find()
        .filter(members::Column::UserId.eq(set.hot_user))
        .count(&db)
        .await?;
    let wrong_counts = scalar(
        &db,
        "SELECT count(*) AS n FROM organizations o WHERE o.member_count <> \
         (SELECT count(*) FROM members m WHERE m.organization_id = o.id)",
    )
    .await?;
    db.close().await?;

    ensure!(
        n_users == 49_901 && n_sessions == n_users,
        "user/session rows: {n_users}/{n_sessions}"
    );
    ensure!(
        n_orgs == data::N_ORGS as u64 && n_members == 50_000,
        "org/member rows"
    );
    ensure!(n_invites == data::N_INVITES as u64, "invitation rows");
    ensure!(
        hot_memberships == data::HOT_ORGS as u64,
        "hot user in {hot_memberships} orgs"
    );
    ensure!(
        wrong_counts == 0,
        "{wrong_counts} organizations with a wrong member_count"
    );

    std::fs::create_dir_all(out).with_context(|| format!("creating {out:?}"))?;
    let lines = |v: Vec<String>| v.join("\n") + "\n";
    std::fs::write(out.join("hot_token.txt"), format!("{}\n", set.hot_token))?;
    std::fs::write(
        out.join("hot_orgs.txt"),
        lines(set.hot_orgs.iter().map(ToString::to_string).collect()),
    )?;
    let targets = set
        .s5_targets
        .iter()
        .map(|(o, u)| format!("{o} {u}"))
        .collect();
    std::fs::write(out.join("s5_targets.txt"), lines(targets))?;
    let summary = json!({
        "backend": format!("{backend:?}").to_lowercase(),
        "insert_ms": t_insert.as_millis(),
        "analyze_ms": (t_done - t_insert).as_millis(),
        "analyze": match backend {
            DbBackend::Postgres => "VACUUM ANALYZE",
            _ if sqlite_analyze => "ANALYZE + WAL checkpoint",
            _ => "WAL checkpoint",
        },
        "total_ms": t_done.as_millis(),
        "counts": counts,
        "roleCounts": roles,
        "hotUserMemberships": hot_memberships,
        "hotUserId": set.hot_user,
        "password": data::PASSWORD,
    });
    let text = serde_json::to_string_pretty(&summary)? + "\n";
    std::fs::write(out.join("seed.json"), &text)?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

/// Inserts `rows` in multi-row `INSERT`s of `per` rows (kept under SQLite's 32,766 bound
/// parameters); returns how many were inserted.
async fn bulk<A>(db: &impl ConnectionTrait, rows: Vec<A>, per: usize) -> Result<u64>
where
    A: ActiveModelTrait + Send,
{
    let total = rows.len() as u64;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(total)
}

async fn scalar(db: &impl ConnectionTrait, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("no row")?;
    Ok(row.try_get::<i64>("", "n")?)
}

//! Re-creating the bench database. Refuses any database or file whose name lacks `bench`,
//! so a mistyped URL cannot drop someone else's data.
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use sea_orm::{ConnectionTrait as _, Database};

/// Drops and creates the PostgreSQL database of `url`, or deletes the SQLite file of `url`
/// with its `-wal` and `-shm` companions.
pub async fn reset(url: &str) -> Result<()> {
    if url.starts_with("sqlite:") {
        let path = sqlite_path(url)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("removing {p:?}")),
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {dir:?}"))?;
        }
        eprintln!("reset: removed SQLite file {}", path.display());
        return Ok(());
    }
    let (admin_url, name) = postgres_admin(url)?;
    let admin = Database::connect(admin_url.as_str())
        .await
        .context("connecting to the PostgreSQL maintenance database")?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    admin.close().await?;
    eprintln!("reset: re-created PostgreSQL database {name}");
    Ok(())
}

/// The file of a `sqlite://path?…` or `sqlite:path` URL.
pub fn sqlite_path(url: &str) -> Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = PathBuf::from(rest.split('?').next().unwrap_or_default());
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains("bench") {
        bail!("refusing to delete {path:?}: the bench SQLite file's name must contain 'bench'");
    }
    Ok(path)
}

/// The URL of the server's `postgres` database, and the bench database's name.
fn postgres_admin(url: &str) -> Result<(url::Url, String)> {
    let mut u = url::Url::parse(url).context("parsing the database URL")?;
    let name = u.path().trim_start_matches('/').to_owned();
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if name.is_empty() || !plain || !name.contains("bench") {
        bail!(
            "refusing to re-create database '{name}': its name must contain 'bench' and be [a-z0-9_]"
        );
    }
    u.set_path("/postgres");
    Ok((u, name))
}

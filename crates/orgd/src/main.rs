//! `orgd serve | migrate | bootstrap-admin | openapi`.
use anyhow::Context;
use clap::Parser;
use orgd::config::{Cli, Command};
use orgd::startup;

/// mimalloc, not glibc's malloc: a request allocates and frees many small short-lived
/// buffers (rows, JSON, headers), and with mimalloc orgd spent 8-17 % less CPU per request
/// in same-machine A/B runs, at a peak RSS 3 MiB higher (docs/performance.md, optimisation 24).
/// Only the server binary: the library crates leave the choice to whoever embeds them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => {
            startup::init_tracing(&config.log, config.log_format);
            let app = startup::Application::build(*config).await?;
            tracing::info!(address = %app.address(), "orgd listening");
            app.run_until_stopped().await
        }
        Command::Migrate(db) => {
            startup::init_tracing("info", orgd::config::LogFormat::Text);
            let database = startup::connect(&db).await?;
            database.migrate().await.context("running migrations")?;
            tracing::info!("migrations are up to date");
            Ok(())
        }
        Command::BootstrapAdmin {
            db,
            email,
            password,
        } => {
            startup::init_tracing("info", orgd::config::LogFormat::Text);
            let database = startup::connect(&db).await?;
            database.migrate().await.context("running migrations")?;
            let services =
                org_domain::services::Services::new(database.ports(), Default::default());
            let user = services
                .bootstrap_admin(&email, &password)
                .await
                .context("creating the superuser")?;
            println!("superuser {} ({})", user.email, user.id);
            Ok(())
        }
        Command::Openapi => {
            println!("{}", startup::openapi_json());
            Ok(())
        }
    }
}

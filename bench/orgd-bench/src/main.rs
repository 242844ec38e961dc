//! `orgd-bench`: the Rust half of the benchmark harness (`bench/run.sh` is the other half).
//!
//! * `reset` re-creates the dedicated bench database (PostgreSQL) or deletes the bench file
//!   (SQLite), so `orgd migrate` starts from nothing;
//! * `seed` bulk-inserts the peer workload's data set into orgd's migrated schema and writes
//!   the `bench-data/*.txt` files the wrk script reads;
//! * `report` renders `results-<stamp>.md` from the raw files of one run.
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod report;
mod reset;
mod seed;

/// orgd benchmark harness tools (see bench/README.md).
#[derive(Debug, Parser)]
#[command(name = "orgd-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Drop and create the bench database (its name must contain `bench`), or delete the
    /// SQLite bench file and its WAL.
    Reset {
        /// `postgres://…/orgd_bench` or `sqlite://…bench….db?mode=rwc`.
        #[arg(long, env = "ORGD_DATABASE_URL")]
        database_url: String,
    },
    /// Insert the data set into a freshly migrated database.
    Seed {
        /// The migrated database.
        #[arg(long, env = "ORGD_DATABASE_URL")]
        database_url: String,
        /// Where to write hot_token.txt, hot_orgs.txt, s5_targets.txt and seed.json.
        #[arg(long)]
        out: PathBuf,
        /// Run `ANALYZE` on SQLite as well (orgd itself never does; PostgreSQL always gets
        /// `VACUUM ANALYZE`, as in the peer's seed).
        #[arg(long)]
        sqlite_analyze: bool,
    },
    /// Render the results markdown of a run directory to stdout.
    Report {
        /// `bench/results/runs/<stamp>`.
        run_dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Reset { database_url } => reset::reset(&database_url).await,
        Command::Seed {
            database_url,
            out,
            sqlite_analyze,
        } => seed::seed(&database_url, &out, sqlite_analyze).await,
        Command::Report { run_dir } => {
            print!("{}", report::render(&run_dir)?);
            Ok(())
        }
    }
}

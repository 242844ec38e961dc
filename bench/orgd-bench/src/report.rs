//! `results-<stamp>.md` from a run directory written by `bench/run.sh`: per system a table
//! in the peer's format (median round of req/s), orgd / Better Auth ratios, raw rounds.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};

mod wrk;

use wrk::{Window, kv};

/// One round of one scenario on one system.
struct Round {
    n: usize,
    w: Window,
    m: BTreeMap<String, String>,
}

impl Round {
    fn num(&self, k: &str) -> f64 {
        self.m
            .get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
    fn cores(&self, k: &str) -> f64 {
        self.num(k) / self.num("wall_s")
    }
}

/// The rounds of a scenario, and the one with the median req/s (lower median, as the peer).
struct Row {
    rounds: Vec<Round>,
    median: usize,
}

impl Row {
    fn load(dir: &Path, sys: &str, sc: &str) -> Option<Self> {
        let mut rounds = Vec::new();
        for n in 1.. {
            let base = dir.join(format!("{sys}-{sc}-r{n}"));
            let Ok(text) = std::fs::read_to_string(base.with_extension("wrk")) else {
                break;
            };
            rounds.push(Round {
                n,
                w: wrk::parse(&text),
                m: kv(&base.with_extension("metrics")),
            });
        }
        let mut order: Vec<usize> = (0..rounds.len()).collect();
        order.sort_by(|a, b| rounds[*a].w.rps.total_cmp(&rounds[*b].w.rps));
        let median = *order.get(order.len().checked_sub(1)? / 2)?;
        Some(Self { rounds, median })
    }
    fn med(&self) -> &Round {
        &self.rounds[self.median]
    }
    fn peak_mib(&self) -> f64 {
        self.rounds
            .iter()
            .map(|r| r.num("vmhwm_kb"))
            .fold(f64::NAN, f64::max)
            / 1024.0
    }
    fn rps_range(&self) -> (f64, f64) {
        let it = self.rounds.iter().map(|r| r.w.rps);
        (
            it.clone().fold(f64::INFINITY, f64::min),
            it.fold(0.0, f64::max),
        )
    }
    fn clean(&self) -> bool {
        self.rounds.iter().all(|r| r.w.clean())
    }
    fn errors(&self) -> String {
        if self.clean() {
            return "0 in all rounds".to_owned();
        }
        let each: Vec<String> = self
            .rounds
            .iter()
            .map(|r| match r.w.requests {
                0 => "no completed request".to_owned(),
                _ => format!(
                    "{}/{}",
                    r.w.non2xx,
                    r.w.socket_errors.as_deref().unwrap_or("0")
                ),
            })
            .collect();
        format!("**{}**", each.join("; "))
    }
}

fn label(sys: &str) -> &str {
    match sys {
        "orgd-postgres" => "orgd on PostgreSQL",
        "orgd-sqlite" => "orgd on SQLite",
        "peer-default" => "Better Auth, variant `default` (advanced.database.joins = false)",
        "peer-joins" => "Better Auth, variant `joins` (advanced.database.joins = true)",
        other => other,
    }
}

fn scenario_name(sc: &str) -> &str {
    match sc {
        "S0" => "reference: GET /healthz (no auth, no database)",
        "S1" => "get organization + 50 members + invitations",
        "S2" => "list members limit=20",
        "S3" => "permission check users:update",
        "S4" => "list the hot user's 100 orgs",
        "S5" => "change member role (write)",
        other => other,
    }
}

fn f(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{x:.digits$}")
    } else {
        "?".to_owned()
    }
}

/// Renders the results markdown of `dir`.
pub fn render(dir: &Path) -> Result<String> {
    let meta = kv(&dir.join("meta.env"));
    let get = |k: &str| meta.get(k).cloned().unwrap_or_else(|| "?".to_owned());
    let systems: Vec<String> = get("systems")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let scenarios: Vec<String> = get("scenarios")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut rows: BTreeMap<(String, String), Row> = BTreeMap::new();
    for sys in &systems {
        for sc in &scenarios {
            if let Some(r) = Row::load(dir, sys, sc) {
                rows.insert((sys.clone(), sc.clone()), r);
            }
        }
    }
    anyhow::ensure!(!rows.is_empty(), "no measured windows in {}", dir.display());

    let mut o = String::new();
    writeln!(o, "# orgd benchmark results ({})\n", get("date_utc"))?;
    writeln!(
        o,
        "Workload: the peer's (../shared/bench/peer-better-auth/README.md), see bench/README.md. wrk {}, keep-alive, 127.0.0.1.",
        get("load")
    )?;
    writeln!(
        o,
        "S0 is a harness reference (orgd's /healthz, Better Auth's plain node:http /healthz), not part of the workload."
    )?;
    if get("smoke") == "1" {
        writeln!(
            o,
            "\n**SMOKE RUN** (shorter than the workload's 3 × 20 s, or the machine was not quiet): the numbers only show that the harness works."
        )?;
    }
    writeln!(o, "\n## Environment\n")?;
    for k in [
        "cpu",
        "nproc",
        "mem_total",
        "kernel",
        "sched_autogroup",
        "rustc",
        "orgd_commit",
        "orgd_server",
        "db_pool",
        "postgres",
        "pg_settings",
        "wrk",
        "peer",
        "peer_mode",
        "node",
        "better_auth",
    ] {
        if let Some(v) = meta.get(k) {
            writeln!(o, "- {k}: {v}")?;
        }
    }

    for sys in &systems {
        if !scenarios
            .iter()
            .any(|sc| rows.contains_key(&(sys.clone(), sc.clone())))
        {
            continue;
        }
        system_table(&mut o, dir, sys, &scenarios, &rows)?;
    }
    ratios(&mut o, &systems, &scenarios, &rows)?;
    raw(&mut o, &systems, &scenarios, &rows)?;
    writeln!(o, "\n## How to read this\n")?;
    writeln!(
        o,
        "Each scenario ran in {} interleaved rounds; the row is the round with the median req/s (its p50/p99/avg/max/requests/CPU),",
        get("rounds")
    )?;
    writeln!(
        o,
        "with the min-max req/s over the rounds and the largest peak RSS over the rounds. Peak RSS is VmHWM of the server process,"
    )?;
    writeln!(
        o,
        "reset (`echo 5 > /proc/PID/clear_refs`) right before each measured window, so it is the peak of that window (as in the peer)."
    )?;
    writeln!(
        o,
        "CPU 'cores' = CPU seconds / wall seconds of the window; 'other' = whole-machine user+system CPU minus server, PostgreSQL and wrk;"
    )?;
    writeln!(
        o,
        "above 0.10 the window was disturbed by other processes and the row is not trustworthy. A scenario counts only with 0 non-2xx and"
    )?;
    writeln!(
        o,
        "0 socket errors in every round. Raw wrk output: {}",
        dir.display()
    )?;
    Ok(o)
}

fn system_table(
    o: &mut String,
    dir: &Path,
    sys: &str,
    scs: &[String],
    rows: &BTreeMap<(String, String), Row>,
) -> Result<()> {
    writeln!(o, "\n## {}\n", label(sys))?;
    if let Ok(text) = std::fs::read_to_string(dir.join(format!("{sys}-seed.json"))) {
        let s: serde_json::Value = serde_json::from_str(&text).context("seed.json")?;
        let analyze = s.get("analyze_ms").or_else(|| s.get("vacuum_analyze_ms"));
        let counts = s["counts"].as_object().map(|c| {
            c.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        });
        writeln!(
            o,
            "Seed: {} ms (generation + bulk inserts {} ms + {} {} ms); rows: {}.",
            s["total_ms"],
            s["insert_ms"],
            s.get("analyze")
                .and_then(|a| a.as_str())
                .unwrap_or("VACUUM ANALYZE"),
            analyze.unwrap_or(&serde_json::Value::Null),
            counts.unwrap_or_default()
        )?;
    }
    let srv = kv(&dir.join(format!("{sys}-server.metrics")));
    let mib = |k: &str| {
        srv.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .map_or("?".to_owned(), |kb| f(kb / 1024.0, 0))
    };
    writeln!(
        o,
        "Server: idle RSS after start {} MiB, {} OS threads; lifetime peak RSS (VmHWM) {} MiB{}.\n",
        mib("idle_rss_kb"),
        srv.get("threads").map_or("?", String::as_str),
        mib("lifetime_hwm_kb"),
        srv.get("config")
            .map(|c| format!("; {c}"))
            .unwrap_or_default()
    )?;
    writeln!(
        o,
        "| scenario | req/s (median) | req/s min-max | p50 ms | p99 ms | avg ms | max ms | requests | non-2xx / socket errors | peak RSS MiB | server CPU cores | postgres CPU cores | wrk CPU | other procs CPU |"
    )?;
    writeln!(
        o,
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"
    )?;
    for sc in scs {
        let Some(row) = rows.get(&(sys.to_owned(), sc.clone())) else {
            continue;
        };
        let (m, (lo, hi)) = (row.med(), row.rps_range());
        let other = row
            .rounds
            .iter()
            .map(|r| r.num("other_cores"))
            .fold(f64::NAN, f64::max);
        let retried = if row.rounds.iter().any(|r| r.num("attempts") > 1.0) {
            " (re-measured)"
        } else {
            ""
        };
        writeln!(
            o,
            "| {sc} {} | **{}** | {}-{} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {}{retried} |",
            scenario_name(sc),
            f(m.w.rps, 0),
            f(lo, 0),
            f(hi, 0),
            f(m.w.p50, 2),
            f(m.w.p99, 2),
            f(m.w.avg, 2),
            f(m.w.max, 1),
            m.w.requests,
            row.errors(),
            f(row.peak_mib(), 0),
            f(m.cores("server_cpu_s"), 2),
            f(m.cores("pg_cpu_s"), 2),
            f(m.cores("wrk_cpu_s"), 2),
            f(other.max(0.0), 2)
        )?;
    }
    Ok(())
}

fn ratios(
    o: &mut String,
    systems: &[String],
    scs: &[String],
    rows: &BTreeMap<(String, String), Row>,
) -> Result<()> {
    let peers: Vec<&String> = systems.iter().filter(|s| s.starts_with("peer-")).collect();
    if peers.is_empty() {
        return Ok(());
    }
    writeln!(o, "\n## orgd / Better Auth\n")?;
    writeln!(
        o,
        "Against the better Better Auth variant per scenario (higher median req/s), as the workload's reference figures do."
    )?;
    writeln!(
        o,
        "req/s ratio > 1: orgd serves more; p99 and RSS ratios < 1: orgd is faster / smaller.\n"
    )?;
    writeln!(
        o,
        "| scenario | orgd backend | orgd req/s | Better Auth req/s (variant) | req/s ratio | orgd p99 ms | BA p99 ms | p99 ratio | orgd RSS MiB | BA RSS MiB | RSS ratio | both clean |"
    )?;
    writeln!(
        o,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    )?;
    for sc in scs {
        let best = peers
            .iter()
            .filter_map(|p| {
                rows.get(&((*p).clone(), sc.clone()))
                    .map(|r| (p.as_str(), r))
            })
            .max_by(|a, b| a.1.med().w.rps.total_cmp(&b.1.med().w.rps));
        let Some((peer, ba)) = best else { continue };
        for sys in systems.iter().filter(|s| s.starts_with("orgd-")) {
            let Some(me) = rows.get(&(sys.clone(), sc.clone())) else {
                continue;
            };
            let (a, b) = (me.med(), ba.med());
            writeln!(
                o,
                "| {sc} | {} | {} | {} ({}) | **{}** | {} | {} | **{}** | {} | {} | **{}** | {} |",
                sys.trim_start_matches("orgd-"),
                f(a.w.rps, 0),
                f(b.w.rps, 0),
                peer.trim_start_matches("peer-"),
                f(a.w.rps / b.w.rps, 2),
                f(a.w.p99, 2),
                f(b.w.p99, 2),
                f(a.w.p99 / b.w.p99, 3),
                f(me.peak_mib(), 0),
                f(ba.peak_mib(), 0),
                f(me.peak_mib() / ba.peak_mib(), 3),
                if me.clean() && ba.clean() {
                    "yes"
                } else {
                    "**no**"
                }
            )?;
        }
    }
    Ok(())
}

fn raw(
    o: &mut String,
    systems: &[String],
    scs: &[String],
    rows: &BTreeMap<(String, String), Row>,
) -> Result<()> {
    writeln!(o, "\n## Raw rounds\n")?;
    writeln!(
        o,
        "| system | scenario | round | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors | peak RSS MiB | server CPU | postgres CPU | other | attempts |"
    )?;
    writeln!(
        o,
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"
    )?;
    for sys in systems {
        for sc in scs {
            let Some(row) = rows.get(&(sys.clone(), sc.clone())) else {
                continue;
            };
            for r in &row.rounds {
                writeln!(
                    o,
                    "| {sys} | {sc} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    r.n,
                    f(r.w.rps, 1),
                    f(r.w.p50, 2),
                    f(r.w.p99, 2),
                    r.w.requests,
                    r.w.non2xx,
                    r.w.socket_errors.as_deref().unwrap_or("0"),
                    f(r.num("vmhwm_kb") / 1024.0, 1),
                    f(r.cores("server_cpu_s"), 2),
                    f(r.cores("pg_cpu_s"), 2),
                    f(r.num("other_cores"), 2),
                    r.m.get("attempts").map_or("1", String::as_str)
                )?;
                if !r.w.statuses.is_empty() {
                    writeln!(
                        o,
                        "|  |  |  | statuses: {:?} | | | | | | | | | | |",
                        r.w.statuses
                    )?;
                }
            }
        }
    }
    Ok(())
}

//! Reading the raw files of a run: wrk outputs (text, plus the `ORGD_BENCH` JSON line our
//! script's `done()` prints) and the `key=value` files run.sh writes.
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// One measured wrk window.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub rps: f64,
    pub requests: u64,
    /// Latencies in milliseconds.
    pub p50: f64,
    pub p99: f64,
    pub avg: f64,
    pub max: f64,
    pub non2xx: u64,
    /// wrk's "Socket errors" line, if any (connect/read/write/timeout).
    pub socket_errors: Option<String>,
    /// Response statuses tallied by the optional response() hook.
    pub statuses: BTreeMap<String, u64>,
}

impl Window {
    /// No non-2xx answer, no socket error, and at least one completed request.
    pub fn clean(&self) -> bool {
        self.non2xx == 0 && self.socket_errors.is_none() && self.requests > 0
    }
}

#[derive(Deserialize)]
struct Summary {
    requests: u64,
    duration_us: u64,
    errors: Errors,
    latency_us: Latency,
    #[serde(default)]
    statuses: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
struct Errors {
    connect: u64,
    read: u64,
    write: u64,
    status: u64,
    timeout: u64,
}

#[derive(Deserialize)]
struct Latency {
    mean: f64,
    max: f64,
    p50: f64,
    p99: f64,
}

/// Parses a wrk output: the `ORGD_BENCH` line when present (exact, microseconds),
/// otherwise wrk's own text (the peer's files), as the peer's report.mjs does.
pub fn parse(text: &str) -> Window {
    let json = text
        .lines()
        .find_map(|l| l.strip_prefix("ORGD_BENCH "))
        .and_then(|j| serde_json::from_str::<Summary>(j).ok());
    if let Some(s) = json {
        let e = &s.errors;
        let sock = e.connect + e.read + e.write + e.timeout;
        return Window {
            rps: s.requests as f64 / (s.duration_us.max(1) as f64 / 1e6),
            requests: s.requests,
            p50: s.latency_us.p50 / 1000.0,
            p99: s.latency_us.p99 / 1000.0,
            avg: s.latency_us.mean / 1000.0,
            max: s.latency_us.max / 1000.0,
            non2xx: e.status,
            socket_errors: (sock > 0).then(|| {
                format!(
                    "connect {}, read {}, write {}, timeout {}",
                    e.connect, e.read, e.write, e.timeout
                )
            }),
            statuses: s.statuses,
        };
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim_start)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    let pct = |p: &str| field(&format!("{p}%")).map_or(f64::NAN, to_ms);
    let latency: Vec<&str> = field("Latency")
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    Window {
        rps: field("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN),
        requests: text
            .lines()
            .find(|l| l.contains(" requests in "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        p50: pct("50"),
        p99: pct("99"),
        avg: latency.first().map_or(f64::NAN, |v| to_ms(v)),
        max: latency.get(2).map_or(f64::NAN, |v| to_ms(v)),
        non2xx: field("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        socket_errors: field("Socket errors:").map(str::to_owned),
        statuses: BTreeMap::new(),
    }
}

/// `1.5ms`, `300.00us`, `2.61s`, `1.2m` → milliseconds.
fn to_ms(v: &str) -> f64 {
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let scale = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        _ => f64::NAN,
    };
    num.parse::<f64>().map_or(f64::NAN, |n| n * scale)
}

/// A `key=value` file; missing file → empty.
pub fn kv(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: &str = "Running 20s test @ http://127.0.0.1:3000
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   359.26ms  100.00ms   1.07s    70.00%
  Latency Distribution
     50%  357.63ms
     75%  400.00ms
     90%  500.00ms
     99%  660.16ms
  3561 requests in 20.01s, 10.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    177.95
Transfer/sec:      1.00MB
";

    #[test]
    fn parses_wrk_text() {
        let w = parse(PEER);
        assert_eq!(w.requests, 3561);
        assert!((w.rps - 177.95).abs() < 1e-9);
        assert!((w.p50 - 357.63).abs() < 1e-9);
        assert!((w.p99 - 660.16).abs() < 1e-9);
        assert!((w.max - 1070.0).abs() < 1e-9);
        assert_eq!(w.non2xx, 3);
        assert!(w.socket_errors.is_none());
        assert!(!w.clean());
    }

    #[test]
    fn prefers_the_done_summary() {
        let text = format!(
            "{PEER}  Socket errors: connect 0, read 1, write 0, timeout 0\nORGD_BENCH {}\n",
            r#"{"scenario":"S1","requests":2000,"duration_us":10000000,"bytes":1,"errors":{"connect":0,"read":1,"write":0,"status":0,"timeout":0},"latency_us":{"min":1,"mean":1500.0,"stdev":1.0,"max":9000,"p50":1200,"p75":1,"p90":1,"p99":4000,"p999":1},"statuses":{"200":2000}}"#
        );
        let w = parse(&text);
        assert!((w.rps - 200.0).abs() < 1e-9);
        assert!((w.p99 - 4.0).abs() < 1e-9);
        assert_eq!(w.non2xx, 0);
        assert_eq!(
            w.socket_errors.as_deref(),
            Some("connect 0, read 1, write 0, timeout 0")
        );
        assert_eq!(w.statuses.get("200"), Some(&2000));
    }
}

use super::*;
use org_http::rate_limit::{Account, ClientIp, Rate};

/// On PostgreSQL every worker builds its own `Services` and `AppState`; the attempt
/// limits must still be one budget for the process, not one per worker.
#[tokio::test]
async fn every_worker_state_counts_against_the_one_attempt_budget() {
    let http = HttpConfig {
        auth_limits: AuthLimits::new(Rate::Off, "2/1h".parse().unwrap()),
        ..HttpConfig::default()
    };
    let pools = WorkerPools {
        enabled: true,
        // Lazy pools do no I/O: nothing needs to listen there.
        url: "postgres://orgd@127.0.0.1:9/none".to_owned(),
        size: 1,
        timeout: std::time::Duration::from_secs(1),
        smtp: None,
        domain: org_domain::services::Config::default(),
        http,
    };
    let first = pools.state().expect("a worker state");
    let second = pools.state().expect("a worker state");
    let ann = Account::email("ann@example.com");
    let ip = ClientIp::of(None);
    first.config.auth_limits.check(ip, Some(&ann)).unwrap();
    second.config.auth_limits.check(ip, Some(&ann)).unwrap();
    for worker in [&first, &second] {
        let refused = worker.config.auth_limits.check(ip, Some(&ann)).unwrap_err();
        assert_eq!(refused.code(), "rate_limited");
    }
}

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use governor::clock::FakeRelativeClock;
use org_domain::DomainError;
use uuid::Uuid;

use super::{Account, AuthLimits, ClientIp, DEFAULT_PER_ACCOUNT, DEFAULT_PER_IP, Rate};

fn rate(s: &str) -> Rate {
    s.parse().unwrap()
}

fn ip(last: u8) -> ClientIp {
    ClientIp::of(Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))))
}

/// The seconds of a refusal; panics on a pass.
#[track_caller]
fn refused(r: Result<(), DomainError>) -> u64 {
    match r {
        Err(DomainError::RateLimited { retry_after_secs }) => retry_after_secs,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn rates_parse_and_print() {
    assert_eq!(rate("off"), Rate::Off);
    assert_eq!(rate(" OFF "), Rate::Off);
    let ten = rate("10/1m");
    assert_eq!(
        ten,
        Rate::Limit {
            count: 10.try_into().unwrap(),
            period: Duration::from_secs(60)
        }
    );
    assert_eq!(rate("10/minute"), ten);
    assert_eq!(rate("10 / 60s"), ten);
    assert_eq!(ten.to_string(), "10/1m");
    assert_eq!(rate(&ten.to_string()), ten);
    for bad in [
        "", "10", "0/1m", "-1/1m", "x/1m", "10/", "10/soon", "10/0s", "5/3ns",
    ] {
        assert!(bad.parse::<Rate>().is_err(), "{bad:?} should be refused");
    }
    assert!(matches!(rate(DEFAULT_PER_IP), Rate::Limit { .. }));
    assert!(matches!(rate(DEFAULT_PER_ACCOUNT), Rate::Limit { .. }));
}

#[test]
fn addresses_are_keyed_by_client() {
    let v6 = |s: &str| ClientIp::of(Some(s.parse::<Ipv6Addr>().unwrap().into()));
    assert_eq!(v6("2001:db8:1:2:aaaa::1"), v6("2001:db8:1:2:bbbb::9"));
    assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
    assert_eq!(v6("::ffff:192.0.2.7"), ip(7));
    assert_eq!(
        ClientIp::of(None),
        ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    );
}

#[test]
fn emails_are_keyed_as_the_domain_normalizes_them() {
    assert_eq!(
        Account::email(" Ann@Example.COM "),
        Account::email("ann@example.com")
    );
    let Account::Email(long) = Account::email(&"é".repeat(1000)) else {
        panic!("an email key")
    };
    assert!(long.len() <= 320);
}

#[test]
fn the_account_budget_is_per_account_and_the_address_budget_per_address() {
    let clock = FakeRelativeClock::default();
    let limits = AuthLimits::with_clock(rate("3/1m"), rate("2/1m"), clock.clone());
    let ann = Account::email("ann@example.com");
    let bob = Account::email("bob@example.com");
    limits.check(ip(1), Some(&ann)).unwrap();
    limits.check(ip(1), Some(&ann)).unwrap();
    // 2/1m refills one attempt every 30 s.
    assert_eq!(refused(limits.check(ip(2), Some(&ann))), 30);
    // That refusal still used ip(2)'s budget; ip(1) has one left, bob two.
    limits.check(ip(1), Some(&bob)).unwrap();
    assert_eq!(refused(limits.check(ip(1), Some(&bob))), 20);
    limits.check(ip(2), Some(&bob)).unwrap();
    // Authenticated users are separate accounts; no account only counts the address.
    limits
        .check(ip(3), Some(&Account::User(Uuid::nil())))
        .unwrap();
    limits.check(ip(3), None).unwrap();
    assert_eq!(limits.tracked(), (3, 3));
}

#[test]
fn retry_after_rounds_up_and_waiting_it_is_enough() {
    let clock = FakeRelativeClock::default();
    let limits = AuthLimits::with_clock(Rate::Off, rate("1/2500ms"), clock.clone());
    let ann = Some(Account::email("ann@example.com"));
    limits.check(ip(1), ann.as_ref()).unwrap();
    assert_eq!(refused(limits.check(ip(1), ann.as_ref())), 3);
    clock.advance(Duration::from_millis(2400));
    assert_eq!(refused(limits.check(ip(1), ann.as_ref())), 1);
    clock.advance(Duration::from_millis(100));
    limits.check(ip(1), ann.as_ref()).unwrap();
}

#[test]
fn off_limits_nothing() {
    let limits = AuthLimits::off();
    let ann = Account::email("ann@example.com");
    for _ in 0..1000 {
        limits.check(ip(1), Some(&ann)).unwrap();
    }
    assert_eq!(limits.tracked(), (0, 0));
}

#[test]
fn clones_share_one_budget_and_idle_keys_are_swept() {
    let clock = FakeRelativeClock::default();
    let a = AuthLimits::with_clock(rate("2/1s"), Rate::Off, clock.clone());
    let b = a.clone();
    a.check(ip(1), None).unwrap();
    b.check(ip(1), None).unwrap();
    refused(a.check(ip(1), None));
    refused(b.check(ip(1), None));
    // Many clients, then quiet: the next sweep forgets the ones whose budget is full.
    for n in 0..=super::SWEEP_EVERY {
        let _ = a.check(ClientIp::of(Some(IpAddr::V4(Ipv4Addr::from(n)))), None);
    }
    assert!(a.tracked().0 > 1000);
    clock.advance(Duration::from_secs(2));
    for _ in 0..super::SWEEP_EVERY {
        a.check(ip(9), None).unwrap_or(());
    }
    assert!(b.tracked().0 < 10, "{:?}", b.tracked());
}

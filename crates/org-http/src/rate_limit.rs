//! Throttling of the endpoints that check a secret: login, signup, accepting an invitation
//! by token, and the two-factor code checks.
//!
//! Every attempt counts once against the client's address and once against the account it
//! names, whatever its outcome: successful logins too, so that a refused attempt costs no
//! password hash and a stolen password cannot be confirmed faster than the limit. The
//! limiters are GCRA keyed limiters from `governor`: `N/period` allows a burst of `N` and
//! refills one attempt every `period / N`. A refusal is `429 rate_limited` with
//! `Retry-After`, through [`DomainError::RateLimited`].
//!
//! One [`AuthLimits`] value is shared by every HTTP worker (clones share one state), so
//! the limits hold for the whole process whatever the worker count.
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{NotUntil, Quota, RateLimiter};
use org_domain::DomainError;
use org_domain::values::Email;
use uuid::Uuid;

use crate::error::ApiError;

/// Default of `ORGD_AUTH_RATE_PER_IP`.
pub const DEFAULT_PER_IP: &str = "30/1m";
/// Default of `ORGD_AUTH_RATE_PER_ACCOUNT`.
pub const DEFAULT_PER_ACCOUNT: &str = "10/1m";

/// How many checks pass between two sweeps of keys whose budget is full again.
const SWEEP_EVERY: u32 = 1024;

/// A limit: at most `count` attempts per `period`, or `off`. Written `N/period` with a
/// humantime period (`10/1m`, `30/90s`, `5/minute`), or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// No limit.
    Off,
    /// A burst of `count`, refilled evenly over `period`.
    Limit {
        /// Attempts per period.
        count: NonZeroU32,
        /// The period.
        period: Duration,
    },
}

impl Rate {
    fn quota(self) -> Option<Quota> {
        match self {
            Self::Off => None,
            Self::Limit { count, period } => {
                Quota::with_period(period / count.get()).map(|q| q.allow_burst(count))
            }
        }
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        let form = || format!("`{s}`: expected `N/period` (e.g. `10/1m`) or `off`");
        let (count, period) = s.split_once('/').ok_or_else(form)?;
        let count: u32 = count.trim().parse().map_err(|_| form())?;
        let count = NonZeroU32::new(count)
            .ok_or_else(|| format!("`{s}`: the count must be at least 1 (`off` disables)"))?;
        let period = period.trim();
        // `5/minute` reads as `5/1minute`.
        let period = if period.starts_with(|c: char| c.is_ascii_alphabetic()) {
            humantime::parse_duration(&format!("1{period}"))
        } else {
            humantime::parse_duration(period)
        }
        .map_err(|e| format!("`{s}`: period: {e}"))?;
        let rate = Self::Limit { count, period };
        rate.quota()
            .map(|_| rate)
            .ok_or_else(|| format!("`{s}`: the period is too short"))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::Limit { count, period } => {
                write!(f, "{count}/{}", humantime::format_duration(*period))
            }
        }
    }
}

/// The account an attempt names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Account {
    /// Login: the email as the domain normalizes it (trimmed, lower-cased).
    Email(String),
    /// An authenticated user (invitation tokens, two-factor codes).
    User(Uuid),
}

impl Account {
    /// The login key of `raw`; unparsable input is normalized the same way and capped, so
    /// that a huge body cannot become a huge key.
    pub fn email(raw: &str) -> Self {
        let mut key = Email::parse(raw)
            .map(|e| e.as_str().to_owned())
            .unwrap_or_else(|_| raw.trim().to_lowercase());
        if key.len() > 320 {
            let mut end = 320;
            while !key.is_char_boundary(end) {
                end -= 1;
            }
            key.truncate(end);
        }
        Self::Email(key)
    }
}

/// The client address a limit counts against: the TCP peer (forwarded-for headers are not
/// trusted). IPv4-mapped IPv6 counts as IPv4; other IPv6 addresses by their /64, which is
/// what one client usually holds. Unknown peers (not TCP) share one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The key of a peer address.
    pub fn of(peer: Option<IpAddr>) -> Self {
        match peer.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V6(v6)) => {
                let mut s = v6.segments();
                s[4..].fill(0);
                Self(IpAddr::V6(Ipv6Addr::from(s)))
            }
            Some(v4) => Self(v4),
            None => Self(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        }
    }
}

impl FromRequest for ClientIp {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::of(req.peer_addr().map(|a| a.ip()))))
    }
}

type Keyed<K, C> = RateLimiter<K, DashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

struct Inner<C: Clock> {
    per_ip: Option<Keyed<IpAddr, C>>,
    per_account: Option<Keyed<Account, C>>,
    rates: (Rate, Rate),
    clock: C,
    checks: AtomicU32,
}

/// The per-address and per-account limits of the secret-checking endpoints. Cheap to
/// clone; clones share one state, which is how every HTTP worker counts against the same
/// budget.
pub struct AuthLimits<C: Clock = MonotonicClock>(Arc<Inner<C>>);

impl<C: Clock> Clone for AuthLimits<C> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<C: Clock> fmt::Debug for AuthLimits<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLimits")
            .field("per_ip", &format_args!("{}", self.0.rates.0))
            .field("per_account", &format_args!("{}", self.0.rates.1))
            .finish()
    }
}

impl AuthLimits {
    /// Limits on the monotonic clock.
    pub fn new(per_ip: Rate, per_account: Rate) -> Self {
        Self::with_clock(per_ip, per_account, MonotonicClock)
    }

    /// No limits at all.
    pub fn off() -> Self {
        Self::new(Rate::Off, Rate::Off)
    }
}

impl Default for AuthLimits {
    /// [`DEFAULT_PER_IP`] and [`DEFAULT_PER_ACCOUNT`].
    fn default() -> Self {
        let parse = |s: &str| s.parse().unwrap_or(Rate::Off);
        Self::new(parse(DEFAULT_PER_IP), parse(DEFAULT_PER_ACCOUNT))
    }
}

impl<C: Clock + Clone> AuthLimits<C> {
    /// Limits on `clock` (tests drive a fake one).
    pub fn with_clock(per_ip: Rate, per_account: Rate, clock: C) -> Self {
        Self(Arc::new(Inner {
            per_ip: per_ip
                .quota()
                .map(|q| RateLimiter::dashmap_with_clock(q, clock.clone())),
            per_account: per_account
                .quota()
                .map(|q| RateLimiter::dashmap_with_clock(q, clock.clone())),
            rates: (per_ip, per_account),
            clock,
            checks: AtomicU32::new(0),
        }))
    }
}

impl<C: Clock> AuthLimits<C> {
    /// Counts one attempt from `ip`, naming `account` if it names one: the address first,
    /// then the account. A refusal consumes nothing of the budget that refused it.
    ///
    /// # Errors
    /// [`DomainError::RateLimited`] with the whole seconds (at least 1) until an attempt
    /// may pass.
    pub fn check(&self, ip: ClientIp, account: Option<&Account>) -> Result<(), DomainError> {
        let inner = &*self.0;
        if inner.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        if let Some(limiter) = &inner.per_ip {
            limiter.check_key(&ip.0).map_err(|n| self.refusal(&n))?;
        }
        if let (Some(limiter), Some(account)) = (&inner.per_account, account) {
            limiter.check_key(account).map_err(|n| self.refusal(&n))?;
        }
        Ok(())
    }

    fn refusal(&self, not_until: &NotUntil<C::Instant>) -> DomainError {
        let wait = not_until.wait_time_from(self.0.clock.now());
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        DomainError::RateLimited {
            retry_after_secs: secs.max(1),
        }
    }

    /// Forgets keys whose budget is full again, so memory follows recent clients only.
    fn sweep(&self) {
        if let Some(l) = &self.0.per_ip {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.0.per_account {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// How many addresses and accounts are tracked (tests).
    pub fn tracked(&self) -> (usize, usize) {
        (
            self.0.per_ip.as_ref().map_or(0, RateLimiter::len),
            self.0.per_account.as_ref().map_or(0, RateLimiter::len),
        )
    }
}

#[cfg(test)]
#[path = "rate_limit_tests.rs"]
mod tests;

//! Integration tests of the sea-orm adapters, on SQLite and (with
//! `ORGD_TEST_DATABASE_URL`) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod audit;
mod invitations;
mod listings;
mod members;
mod organizations;
mod outbox;
mod pool;
mod races;
mod roles;
mod schema;
mod tokens;
mod user_orgs;
mod users;
mod versions;

use org_domain::DomainError;

/// The error's machine code, or a panic when the call succeeded.
pub fn code<T: std::fmt::Debug>(r: Result<T, DomainError>) -> &'static str {
    r.unwrap_err().code()
}

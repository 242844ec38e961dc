//! # org-infra
//!
//! The adapters behind org-domain's ports: sea-orm repositories that run unchanged on
//! SQLite (the embedded default) and PostgreSQL, plus the system clock, random ids and
//! secrets, argon2id password hashing, and mail (an outbox table by default, or SMTP).
//! [`Database`] connects, migrates and hands out every port wired together.
//!
//! Each mutating repository method writes its audit event with [`audit`]'s one helper in
//! the same transaction as the change; invariants spanning rows (last owner, organizations
//! per owner) are checked under a row lock on PostgreSQL and under SQLite's write lock
//! (`BEGIN IMMEDIATE`).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod audit;
mod db;
pub mod entities;
mod invitations;
mod mail;
mod members;
mod organizations;
mod roles;
pub mod system;
mod tokens;
mod users;

pub use audit::SeaAudit;
pub use db::Database;
pub use invitations::SeaInvitations;
pub use mail::{OutboxMailer, SeaOutbox, SmtpMailer};
pub use members::SeaMembers;
pub use organizations::SeaOrganizations;
pub use roles::SeaRoles;
pub use system::{Argon2Hasher, RandomIds, SystemClock};
pub use tokens::SeaTokens;
pub use users::SeaUsers;

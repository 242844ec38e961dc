//! # org-domain
//!
//! The pure core of orgd: entities, value objects, the permission catalog and RBAC policy,
//! the use-case services, and the ports (repositories, clock, id and token generation,
//! password hashing, mail) that adapters implement.
//!
//! Nothing here talks to a database, a network or a runtime: the services are driven
//! through the port traits, so the crate can be embedded in other Rust services with
//! their own adapters, and unit-tested with the `mockall` mocks of every port
//! (enable the `mocks` feature to use them from another crate).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod audit;
pub mod auth;
pub mod error;
pub mod invitations;
pub mod members;
pub mod organizations;
pub mod pagination;
pub mod permissions;
pub mod policy;
pub mod ports;
pub mod roles;
pub mod services;
pub mod two_factor;
pub mod users;
pub mod values;

pub use error::{DomainError, FieldError, Result};

//! The orgd binary's library half: configuration and the composition root, shared by
//! `main.rs` and the integration tests (which start the real server on port 0).
pub mod config;
pub mod startup;

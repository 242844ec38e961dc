//! orgd's end-to-end tests: one binary, the real server on port 0, a fresh database per
//! test — SQLite in memory, or PostgreSQL when `ORGD_TEST_DATABASE_URL` is set.
mod api_keys;
mod audit;
mod auth;
mod bad_input;
mod basics;
mod helpers;
mod invitations;
mod isolation;
mod members;
mod openapi;
mod organizations;
mod permissions;
mod races;
mod roles;
mod two_factor;

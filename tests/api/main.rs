//! orgd's end-to-end tests: one binary, the real server on port 0, a fresh database per
//! test — SQLite in memory, or PostgreSQL when `ORGD_TEST_DATABASE_URL` is set.
mod api_keys;
mod audit;
mod auth;
mod bad_input;
mod basics;
mod headers;
mod helpers;
mod invitations;
mod isolation;
mod matrix;
mod members;
mod openapi;
mod organizations;
mod permissions;
mod processes;
mod races;
mod rate_limit;
mod roles;
mod secrets;
mod two_factor;

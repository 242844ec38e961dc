//! The bad-input corpus (issue 4): every malformed, mistyped, oversized or hostile request
//! answers a 4xx `application/problem+json` with a useful `detail` (and, on 422, an
//! `errors` entry naming the field), never a 5xx, and writes nothing.
//!
//! It is machinery, not a list: the operations, their bodies' fields and types, their path
//! and query parameters all come from `org_http::openapi()`, so a new route or field is
//! corrupted as soon as it is documented. Targeted corpora cover the fields with rules of
//! their own (time zones, slugs, identifiers). Each case runs as the organization's owner
//! (the superuser for superuser-only routes), so permission checks do not hide validation,
//! and `app.snapshot()` is compared after every case.
mod accepted;
mod bodies;
mod corpora;
mod injections;
mod params;
mod runner;
mod spec;

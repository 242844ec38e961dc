# orgd developer recipes (the README's commands work with cargo alone).
pg_url := env_var_or_default("ORGD_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

default:
    @just --list

# Serve on 127.0.0.1:8080 with the SQLite file orgd.db
run:
    cargo run --release -p orgd -- serve

# All tests on SQLite
test:
    cargo test --workspace

# All tests on PostgreSQL
test-postgres:
    ORGD_TEST_DATABASE_URL={{pg_url}} cargo test --workspace

# Formatting and lints as CI runs them
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Regenerate openapi/openapi.json
openapi:
    cargo run -q -p orgd -- openapi > openapi/openapi.json

# Load benchmark on the Better Auth peer's workload (bench/README.md), arguments passed through:
# just bench --backend both --with-peer   (smoke: just bench --duration 3s --rounds 1)
bench *args:
    bench/run.sh {{args}}

# Schemathesis against a live server (scripts/fuzz.sh; docs/fuzz-findings.md)
fuzz:
    bash scripts/fuzz.sh

# Criterion benches (in-process hot paths)
bench-criterion:
    cargo bench --workspace

# What CI runs
ci:
    bash .ci/run

# The reliability suite (both backends, PostgreSQL outage, Schemathesis) and docs/reliability.md
reliability:
    scripts/reliability.sh

#!/usr/bin/env bash
# The reliability suite, end to end, and docs/reliability.md from its figures.
#
#   scripts/reliability.sh [--out FILE] [--skip-suites]
#
# 1. the end-to-end suite (isolation matrix, bad-input corpus, races between two orgd
#    processes, kill -9 under writes, rate limits…) on SQLite and on PostgreSQL, each test
#    recording its figures through ORGD_RELIABILITY_REPORT (tests/api/helpers.rs `report`);
# 2. the PostgreSQL outage test, against a PostgreSQL cluster of its own (`15 faults` on port
#    5433, created when missing) so that stopping it disturbs nothing else;
# 3. Schemathesis against a live server on SQLite and on PostgreSQL (scripts/fuzz.sh);
# 4. writes the figures to FILE (default docs/reliability.md).
#
# `--skip-suites` skips step 1 for a caller that already ran the suites with
# ORGD_RELIABILITY_REPORT set (.ci/run does). Any failure fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

out=docs/reliability.md
run_suites=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --skip-suites) run_suites=0; shift ;;
    *) echo "usage: $0 [--out FILE] [--skip-suites]" >&2; exit 2 ;;
  esac
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/orgd-target}"
export ORGD_RELIABILITY_REPORT="${ORGD_RELIABILITY_REPORT:-$(mktemp)}"
PG_URL="${ORGD_CI_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
FAULT_CLUSTER="${ORGD_FAULT_CLUSTER:-15 faults}"
FAULT_PORT="${ORGD_FAULT_PORT:-5433}"
started=$(date +%s)

if [ "$run_suites" = 1 ]; then
  echo "== end-to-end suite on SQLite"
  cargo test -q -p orgd --test api
  echo "== end-to-end suite on PostgreSQL"
  ORGD_TEST_DATABASE_URL="$PG_URL" cargo test -q -p orgd --test api
fi

echo "== PostgreSQL outage (cluster $FAULT_CLUSTER on port $FAULT_PORT)"
# shellcheck disable=SC2086 # the cluster is "<version> <name>"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$FAULT_CLUSTER"; then
  pg_createcluster $FAULT_CLUSTER --port "$FAULT_PORT" -- --auth=trust >/dev/null
fi
# shellcheck disable=SC2086
pg_ctlcluster $FAULT_CLUSTER start 2>/dev/null || pg_ctlcluster --skip-systemctl-redirect $FAULT_CLUSTER start 2>/dev/null || true
for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p "$FAULT_PORT" -q && break; sleep 1; done
fault_url="postgres://postgres@127.0.0.1:$FAULT_PORT/postgres"
ORGD_PG_CLUSTER="$FAULT_CLUSTER" ORGD_TEST_DATABASE_URL="$fault_url" \
  cargo test -q -p orgd --test api postgres_outage -- --ignored
psql "$fault_url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'orgd_test_%'" |
  while read -r db; do psql "$fault_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; done

echo "== Schemathesis (SQLite, then PostgreSQL)"
ORGD_FUZZ_DATABASE_URL="${ORGD_FUZZ_DATABASE_URL:-$PG_URL}" scripts/fuzz.sh

echo "== writing $out"
minutes=$(( ($(date +%s) - started + 59) / 60 ))
python3 scripts/reliability_report.py "$ORGD_RELIABILITY_REPORT" "$minutes" > "$out.tmp"
mv "$out.tmp" "$out"
echo "reliability figures written to $out"

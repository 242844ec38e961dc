#!/usr/bin/env bash
# Schema-driven fuzzing: Schemathesis against a live `orgd serve` on loopback, once with a
# superuser's session and once with an ordinary member's, checking
#   not_a_server_error, status_code_conformance, content_type_conformance,
#   response_schema_conformance, negative_data_rejection
# at a fixed seed and example count. Exits non-zero on any failure or error.
#
# Environment (all optional):
#   ORGD_VENV                 virtualenv for Schemathesis (default /var/tmp/orgd-venv)
#   CARGO_TARGET_DIR          where the debug orgd binary is (default /var/tmp/orgd-target)
#   ORGD_FUZZ_SEED            seed (default 4242)
#   ORGD_FUZZ_EXAMPLES        max examples per operation and phase (default 60)
#   ORGD_FUZZ_DATABASE_URL    a PostgreSQL server URL: also fuzz on a fresh database there
#                             (orgd_fuzz_<random>, dropped afterwards)
#   ORGD_RELIABILITY_REPORT   file to append `<backend> fuzz.requests N` and
#                             `<backend> fuzz.failures N` to (one line per run)
#   ORGD_FUZZ_KEEP            directory to keep logs and reports in (default: a temp dir,
#                             removed on success)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv="${ORGD_VENV:-/var/tmp/orgd-venv}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/orgd-target}"
bin="$CARGO_TARGET_DIR/debug/orgd"
seed="${ORGD_FUZZ_SEED:-4242}"
examples="${ORGD_FUZZ_EXAMPLES:-60}"
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection
admin_email=admin@fuzz.test
admin_password=admin-password-1
spec_path=/api/openapi.json # org_http::docs::SPEC_PATH

work="${ORGD_FUZZ_KEEP:-$(mktemp -d /tmp/orgd-fuzz.XXXXXX)}"
mkdir -p "$work"
server_pid=""
pg_admin_url=""
pg_db=""
status=0

cleanup() {
  local rc=$?
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  if [[ -n "$pg_db" ]]; then
    psql "$pg_admin_url" -qc "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 || true
    pg_db=""
  fi
  if [[ $rc -eq 0 && $status -eq 0 && -z "${ORGD_FUZZ_KEEP:-}" ]]; then
    rm -rf "$work"
  else
    echo "fuzz: logs and reports kept in $work" >&2
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- Schemathesis, pinned (with its dependencies) by scripts/fuzz/requirements.txt ---------
requirements="$root/scripts/fuzz/requirements.txt"
stamp="$venv/.orgd-fuzz-requirements"
if ! cmp -s "$requirements" "$stamp" 2>/dev/null || [[ ! -x "$venv/bin/schemathesis" ]]; then
  echo "== fuzz: installing Schemathesis into $venv"
  python=$(command -v python3.11 || command -v python3)
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi
"$venv/bin/schemathesis" --version

# --- The server binary ---------------------------------------------------------------------
# A no-op when the tests already built it; never fuzz a stale binary.
cargo build -q -p orgd

report() { # backend key value
  if [[ -n "${ORGD_RELIABILITY_REPORT:-}" ]]; then
    echo "$1 $2 $3" >>"$ORGD_RELIABILITY_REPORT"
  fi
}

# Starts orgd on a free loopback port (the kernel picks it: bind to port 0, read the log).
start_server() { # database_url log_file
  : >"$2"
  # Only the settings below: none of the caller's other ORGD_* variables. Attempt limits are
  # off: the fuzzer logs in again whenever it logs itself out (tests/api/rate_limit.rs
  # covers the limits).
  local unset=()
  for v in $(compgen -e | grep '^ORGD_' || true); do unset+=(-u "$v"); done
  env "${unset[@]}" \
    ORGD_DATABASE_URL="$1" ORGD_BIND=127.0.0.1:0 ORGD_LOG="warn,orgd=info" ORGD_LOG_FORMAT=json \
    ORGD_BOOTSTRAP_ADMIN_EMAIL="$admin_email" ORGD_BOOTSTRAP_ADMIN_PASSWORD="$admin_password" \
    ORGD_AUTH_RATE_PER_IP=off ORGD_AUTH_RATE_PER_ACCOUNT=off \
    "$bin" serve >"$2" 2>&1 &
  server_pid=$!
  local address=""
  for _ in $(seq 600); do
    address=$(sed -n 's/.*"message":"orgd listening","address":"\([^"]*\)".*/\1/p' "$2" | head -n1)
    [[ -n "$address" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$address" ]]; then
    echo "fuzz: orgd did not start:" >&2
    cat "$2" >&2
    return 1
  fi
  base="http://$address"
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# One Schemathesis run as one principal; prints and records its figures.
fuzz_as() { # backend who email password org
  local backend=$1 who=$2 out="$work/$1-$2"
  echo "== fuzz: $backend, as $who (seed $seed, $examples examples)"
  local rc=0
  (
    cd "$work"
    ORGD_FUZZ_BASE="$base" ORGD_FUZZ_EMAIL="$3" ORGD_FUZZ_PASSWORD="$4" ORGD_FUZZ_ORG="$5" \
      ORGD_FUZZ_COUNT="$out.requests" SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$root/scripts/fuzz" \
      "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base$spec_path" \
      --checks "$checks" --seed "$seed" --max-examples "$examples" --workers 1 \
      --continue-on-failure --generation-database none --request-timeout 30 \
      --suppress-health-check all --no-color \
      --report json --report-json-path "$out.json"
  ) >"$out.log" 2>&1 || rc=$?
  local requests failures
  requests=$(cat "$out.requests" 2>/dev/null || echo 0)
  failures=$("$venv/bin/python" - "$out.json" <<'EOF' || echo unknown
import json, sys
r = json.load(open(sys.argv[1]))
# Test cases that failed a check or errored (a dropped connection, a timeout).
print(r["test_cases"]["with_failures"] + r["test_cases"]["errored"])
EOF
)
  # The failures and errors, if any, then the summary.
  sed -n '/^=* \(ERRORS\|FAILURES\) =*$/,/^=* SUMMARY =*$/p' "$out.log" | head -n 300 || true
  sed -n '/^=* SUMMARY =*$/,$p' "$out.log"
  echo "fuzz: $backend $who: $requests requests, $failures failures (schemathesis exit $rc)"
  report "$backend" fuzz.requests "$requests"
  report "$backend" fuzz.failures "${failures/unknown/1}"
  if [[ $rc -ne 0 || "$failures" != 0 ]]; then
    status=1
  fi
}

fuzz_backend() { # backend database_url
  local backend=$1
  start_server "$2" "$work/$backend-server.log"
  "$venv/bin/python" "$root/scripts/fuzz/setup.py" "$base" "$admin_email" "$admin_password" "$work"
  # shellcheck source=/dev/null
  source "$work/accounts.env"
  # The member first: the superuser may delete the member's organization.
  fuzz_as "$backend" member "$FUZZ_MEMBER_EMAIL" "$FUZZ_MEMBER_PASSWORD" "$FUZZ_ORG"
  fuzz_as "$backend" superuser "$admin_email" "$admin_password" ""
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "fuzz: $backend: orgd died during the run" >&2
    status=1
  fi
  stop_server
  # A panic drops the connection (an error above); the log says where.
  if grep -q 'panicked' "$work/$backend-server.log"; then
    echo "fuzz: $backend: the server panicked:" >&2
    grep -A12 'panicked' "$work/$backend-server.log" | head -n 40 >&2
    status=1
  fi
}

started=$SECONDS
fuzz_backend sqlite "sqlite://$work/orgd.db?mode=rwc"

if [[ -n "${ORGD_FUZZ_DATABASE_URL:-}" ]]; then
  pg_admin_url=$ORGD_FUZZ_DATABASE_URL
  pg_db="orgd_fuzz_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  psql "$pg_admin_url" -qc "CREATE DATABASE \"$pg_db\""
  pg_url=$("$venv/bin/python" - "$pg_admin_url" "$pg_db" <<'EOF'
import sys
from urllib.parse import urlsplit, urlunsplit
u = urlsplit(sys.argv[1])
print(urlunsplit(u._replace(path="/" + sys.argv[2])))
EOF
)
  fuzz_backend postgres "$pg_url"
  psql "$pg_admin_url" -qc "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)"
  pg_db=""
fi

echo "fuzz: done in $((SECONDS - started)) s"
if [[ $status -ne 0 ]]; then
  echo "fuzz: FAILED" >&2
  exit 1
fi
echo "fuzz: no failures"

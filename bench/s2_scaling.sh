#!/usr/bin/env bash
# S2 as an organization grows: p99 of GET /api/organizations/{id}/members?limit=20 on one org of
# the workload's data set (the hot user's first org) with its 50 members, then after it grew to
# MEMBERS members, on PostgreSQL. Same wrk parameters as bench/run.sh; ROUNDS windows each, the
# median reported. Issue 5's target: p99 within 1.5x.
#
#   bench/s2_scaling.sh [--members 100000] [--rounds 3] [--duration 20s] [--warmup 5s] [--no-build]
#
# Knobs (env): THREADS=2 CONNS=64 TIMEOUT=10s DB_POOL=10 ORGD_PORT=18085
#   PG_URL=postgres://postgres@127.0.0.1:5432/orgd_bench?sslmode=disable (re-created) BENCH_WORK=/var/tmp/orgd-bench
# Writes bench/results/s2-scaling-<stamp>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MEMBERS=100000 ROUNDS=3 DURATION=20s WARMUP=5s BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --members) MEMBERS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
THREADS=${THREADS:-2} CONNS=${CONNS:-64} TIMEOUT=${TIMEOUT:-10s} DB_POOL=${DB_POOL:-10} PORT=${ORGD_PORT:-18085}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/orgd_bench?sslmode=disable}
BENCH_WORK=${BENCH_WORK:-/var/tmp/orgd-bench}
case "$PG_URL" in *bench*) ;; *) echo "PG_URL must name a database containing 'bench' (it is re-created)" >&2; exit 2 ;; esac
command -v wrk >/dev/null || { echo "wrk is required: apt-get install -y wrk" >&2; exit 1; }

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)}
[ "$BUILD" = 0 ] || cargo build --release -q -p orgd -p orgd-bench
ORGD=$CARGO_TARGET_DIR/release/orgd TOOL=$CARGO_TARGET_DIR/release/orgd-bench
STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT="$ROOT/bench/results/s2-scaling-$STAMP.md" RAW="$ROOT/bench/results/runs/s2-scaling-$STAMP"
DATA="$BENCH_WORK/data-s2-scaling"
mkdir -p "$RAW" "$DATA"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

log "reset, migrate and seed $PG_URL"
"$TOOL" reset --database-url "$PG_URL" >&2
ORGD_DATABASE_URL="$PG_URL" "$ORGD" migrate >/dev/null
"$TOOL" seed --database-url "$PG_URL" --out "$DATA/all" >&2
ORG=$(head -1 "$DATA/all/hot_orgs.txt")
mkdir -p "$DATA/one"   # every request on the one org that grows
cp "$DATA/all/hot_token.txt" "$DATA/all/s5_targets.txt" "$DATA/one/"
echo "$ORG" >"$DATA/one/hot_orgs.txt"

ORGD_DATABASE_URL="$PG_URL" ORGD_BIND="127.0.0.1:$PORT" ORGD_DB_POOL=$DB_POOL ORGD_LOG=warn "$ORGD" serve >"$RAW/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

total() {
  curl -fs -H "authorization: Bearer $(cat "$DATA/one/hot_token.txt")" \
    "http://127.0.0.1:$PORT/api/organizations/$ORG/members?limit=20" | jq -e '.total as $t | (.items | length) == 20 | if . then $t else error("bad page") end'
}
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'; }
measure() {  # label -> "rps p50 p99" per round in $RAW/<label>.txt
  local label=$1 r f
  for r in $(seq 1 "$ROUNDS"); do
    f="$RAW/$label-r$r.wrk"
    SCENARIO=S2 BENCH_DATA="$DATA/one" wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" --timeout "$TIMEOUT" -s bench/wrk/scenario.lua "http://127.0.0.1:$PORT" >/dev/null
    SCENARIO=S2 BENCH_DATA="$DATA/one" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout "$TIMEOUT" --latency -s bench/wrk/scenario.lua "http://127.0.0.1:$PORT" >"$f"
    if grep -q 'Non-2xx' "$f"; then log "non-2xx answers in $f"; exit 1; fi
    echo "$(awk '/^Requests\/sec/{print $2}' "$f") $(awk '$1=="50.000%"||$1=="50%"{print $2; exit}' "$f" | to_ms) $(awk '$1=="99.000%"||$1=="99%"{print $2; exit}' "$f" | to_ms)" >>"$RAW/$label.txt"
    log "$label round $r: $(tail -1 "$RAW/$label.txt") (req/s p50 p99 ms)"
  done
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

BEFORE=$(total); log "org $ORG: total $BEFORE members"
measure before
log "growing org $ORG to $MEMBERS members"
psql "$PG_URL" -q -v ON_ERROR_STOP=1 -v org="$ORG" -v n="$((MEMBERS - BEFORE))" <<'SQL' >&2
BEGIN;
INSERT INTO users (id, email, username, name, metadata, is_active, is_superuser, is_service_account,
                   is_onboarded, two_factor_enabled, created_at, updated_at)
SELECT gen_random_uuid(), format('grow-%s@bench.invalid', i), format('grow-%s', i), format('Grow %s', i),
       '{}'::jsonb, true, false, false, true, false, now(), now()
FROM generate_series(1, :n) AS i;
-- Joined at times spread over the last 30 days: new members land all over the page order.
INSERT INTO members (organization_id, user_id, role, created_at, updated_at)
SELECT :'org', u.id, 'member', now() - random() * interval '30 days', now()
FROM users u WHERE u.email LIKE 'grow-%@bench.invalid';
UPDATE organizations SET member_count = (SELECT count(*) FROM members WHERE organization_id = :'org')
WHERE id = :'org';
COMMIT;
VACUUM ANALYZE users;
VACUUM ANALYZE members;
VACUUM ANALYZE organizations;
-- Write the new rows out now, not during the measured windows.
CHECKPOINT;
SQL
AFTER=$(total); log "org $ORG: total $AFTER members"
[ "$AFTER" = "$MEMBERS" ] || { log "expected $MEMBERS members, the API says $AFTER"; exit 1; }
measure after

b99=$(awk '{print $3}' "$RAW/before.txt" | median) a99=$(awk '{print $3}' "$RAW/after.txt" | median)
brps=$(awk '{print $1}' "$RAW/before.txt" | median) arps=$(awk '{print $1}' "$RAW/after.txt" | median)
ratio=$(awk -v a="$a99" -v b="$b99" 'BEGIN{printf "%.2f", a / b}')
{
  echo "# S2 as one organization grows ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "GET /api/organizations/{id}/members?limit=20 on the hot user's first org only, PostgreSQL, orgd $(git rev-parse --short HEAD),"
  echo "wrk -t$THREADS -c$CONNS -d$DURATION (warm-up $WARMUP) --timeout $TIMEOUT, ORGD_DB_POOL=$DB_POOL, $ROUNDS rounds each, median shown."
  echo "Paging: offset paging backed by idx_members_org_created (organization_id, created_at, user_id); the total is the"
  echo "org's member_count column, so no COUNT(*) runs."
  echo
  echo "| members | req/s (median) | p99 ms (median) | p99 ms per round |"
  echo "|---:|---:|---:|---|"
  echo "| $BEFORE | $brps | $b99 | $(awk '{printf "%s%s", sep, $3; sep=", "}' "$RAW/before.txt") |"
  echo "| $AFTER | $arps | $a99 | $(awk '{printf "%s%s", sep, $3; sep=", "}' "$RAW/after.txt") |"
  echo
  echo "p99 at $AFTER members / p99 at $BEFORE: **$ratio** (target: at most 1.5)."
} >"$OUT"
cat "$OUT"

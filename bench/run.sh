#!/usr/bin/env bash
# orgd benchmark harness: the Better Auth peer's workload (../shared/bench/peer-better-auth)
# against orgd on PostgreSQL and/or SQLite, optionally with the peer itself in the same run.
#
#   bench/run.sh [--backend postgres|sqlite|both] [--with-peer] [--duration 20s] [--rounds 3]
#                [--warmup 5s] [--scenarios S0,S1,S2,S3,S4,S5] [--peer-variants default,joins]
#                [--peer-mode scenario|round] [--no-build] [--no-wait] [--no-autogroup]
#
# Builds orgd and orgd-bench in release mode, re-creates and seeds the bench database(s),
# starts `orgd serve` (release, ORGD_DB_POOL=10, ORGD_LOG=warn), checks every scenario once,
# then measures ROUNDS interleaved rounds (S0 S1 … S5, S0 S1 …): per window a 5 s warm-up and
# the measured wrk run, peak RSS (VmHWM reset just before the window) and CPU of server,
# PostgreSQL, wrk and everything else -- the peer's run.sh measurement, line for line.
# Writes bench/results/results-<stamp>.md (+ raw files in bench/results/runs/<stamp>/).
# Like the peer, it waits for a quiet machine before each window and re-measures disturbed
# windows; --no-wait (QUIET_WAIT=0 MAX_ATTEMPTS=1, also for the peer) is for smoke runs.
# --no-autogroup sets kernel.sched_autogroup_enabled=0 for the run (root only; restored on
# exit; both systems alike): PostgreSQL starts every backend in a session of its own, so with
# autogroups each backend is a scheduling group of its own, and on this kernel a runnable
# backend was seen waiting 1.3 s for a CPU (`perf sched timehist`): stalls of 0.5-6 s in
# orgd's S1-S3 windows, a wrk timeout among them. The usual PostgreSQL host setting; the
# run's meta records which one was in force (docs/performance.md).
#
# Knobs (env): THREADS=2 CONNS=64 TIMEOUT=10s ORGD_PORT=18080 (SQLite: +1) DB_POOL=10
#   (DB_POOL is both systems' pool: ORGD_DB_POOL for orgd, PG_POOL_MAX for the peer's pg Pool,
#   as the workload asks for the same pool size or a reported one; recorded in meta.env)
#   ORGD_WORKERS (unset: orgd's default, one per core)
#   PG_URL=postgres://postgres@127.0.0.1:5432/orgd_bench?sslmode=disable   (database re-created; its name must
#     contain "bench"; plain TCP like the peer's node-postgres, where sqlx would negotiate TLS)
#   BENCH_WORK=/var/tmp/orgd-bench   (SQLite file, bench-data, the peer's working copy)
#   PEER_SRC=../shared/bench/peer-better-auth (relative to the repo)   QUIET_WAIT=600 QUIET_MAX=0.15 OTHER_MAX=0.10 MAX_ATTEMPTS=4
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

BACKEND=both WITH_PEER=0 DURATION=20s ROUNDS=3 WARMUP=5s BUILD=1 NO_AUTOGROUP=0
SCENARIOS="S0 S1 S2 S3 S4 S5"   # S0 = /healthz reference, as in the peer
PEER_VARIANTS="default joins" PEER_MODE=scenario
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) BACKEND="$2"; shift 2 ;;
    --with-peer) WITH_PEER=1; shift ;;
    --duration) DURATION="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --scenarios) SCENARIOS="${2//,/ }"; shift 2 ;;
    --peer-variants) PEER_VARIANTS="${2//,/ }"; shift 2 ;;
    --peer-mode) PEER_MODE="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-wait) export QUIET_WAIT=0 MAX_ATTEMPTS=1; shift ;;   # busy machine, smoke runs: measure at once, never re-measure
    --no-autogroup) NO_AUTOGROUP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2 ;;
  esac
done
case "$BACKEND" in both) BACKENDS="postgres sqlite" ;; postgres|sqlite) BACKENDS=$BACKEND ;; *) usage ;; esac
case "$PEER_MODE" in scenario|round) ;; *) usage ;; esac

THREADS=${THREADS:-2} CONNS=${CONNS:-64} TIMEOUT=${TIMEOUT:-10s}
ORGD_PORT=${ORGD_PORT:-18080} DB_POOL=${DB_POOL:-10}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/orgd_bench?sslmode=disable}
BENCH_WORK=${BENCH_WORK:-/var/tmp/orgd-bench}
PEER_SRC=${PEER_SRC:-$ROOT/../shared/bench/peer-better-auth}
PEER_DIR=$BENCH_WORK/peer
SQLITE_URL="sqlite://$BENCH_WORK/orgd_bench.db?mode=rwc"
export QUIET_WAIT=${QUIET_WAIT:-600} QUIET_MAX=${QUIET_MAX:-0.15} OTHER_MAX=${OTHER_MAX:-0.10} MAX_ATTEMPTS=${MAX_ATTEMPTS:-4}

STAMP=$(date -u +%Y%m%d-%H%M%S)
RUN_DIR="$ROOT/bench/results/runs/$STAMP"
RESULTS="$ROOT/bench/results/results-$STAMP.md"
mkdir -p "$RUN_DIR" "$BENCH_WORK"
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$RUN_DIR/run.log" >&2; }

# ---------- tools ----------
need() {  # command, Debian package
  command -v "$1" >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing $2 (apt-get install -y $2)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "$1 is required: sudo apt-get install -y $2" >&2; exit 1
  fi
}
need wrk wrk; need curl curl; need jq jq; need /usr/bin/time time
[ "$WITH_PEER" = 0 ] || { need node nodejs; need npm npm; need rsync rsync; }

# ---------- build ----------
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)}
if [ "$BUILD" = 1 ]; then
  log "cargo build --release -p orgd -p orgd-bench (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  cargo build --release -q -p orgd -p orgd-bench
fi
ORGD=$CARGO_TARGET_DIR/release/orgd
TOOL=$CARGO_TARGET_DIR/release/orgd-bench
[ -x "$ORGD" ] && [ -x "$TOOL" ] || { echo "missing $ORGD or $TOOL (drop --no-build)" >&2; exit 1; }

# ---------- measurement helpers (the peer's run.sh) ----------
CLK_TCK=$(getconf CLK_TCK)
PGDATA_DIR=$(pg_lsclusters -h 2>/dev/null | awk '$3==5432 {print $6; exit}')
proc_ticks() { awk '{sub(/^[0-9]+ \(.*\) /,""); print $12+$13}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_snapshot() {  # "pid ticks" for the postmaster and all its children
  [ -n "$PGDATA_DIR" ] && [ -r "$PGDATA_DIR/postmaster.pid" ] || return 0
  local pm; pm=$(head -1 "$PGDATA_DIR/postmaster.pid")
  for p in $pm $(pgrep -P "$pm"); do echo "$p $(proc_ticks "$p")"; done
}
pg_delta() { awk 'NR==FNR{b[$1]=$2;next}{d+=$2-(($1 in b)?b[$1]:0)}END{print d+0}' "$1" "$2"; }
sys_steal() { awk '/^cpu /{print $9}' /proc/stat; }
# user + nice + system + irq + softirq: a process's CPU time (/proc/PID/stat, getrusage) is
# its scheduler run time and so includes the softirq work done on its behalf (the loopback
# TCP stack, a quarter of the machine under wrk), which /proc/stat counts under softirq --
# without those columns "other processes" came out at -0.2 to -0.5 cores.
sys_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
calc() { awk "BEGIN{printf \"%.3f\", $1}"; }
busy_cores_over() { local a b; a=$(sys_busy); sleep "$1"; b=$(sys_busy); calc "($b - $a) / $CLK_TCK / $1"; }
wait_quiet() {
  local waited=0 c
  while :; do
    c=$(busy_cores_over 2)
    if awk "BEGIN{exit !($c <= $QUIET_MAX)}"; then echo "$c"; return 0; fi
    if [ "$waited" -ge "$QUIET_WAIT" ]; then log "WARNING: machine still busy ($c cores) after ${waited}s; measuring anyway"; echo "$c"; return 0; fi
    [ "$waited" = 0 ] && log "machine busy ($c cores used by other processes); waiting for quiet"
    sleep 3; waited=$((waited + 5))
  done
}
vm() { awk -v k="$2:" '$1==k{print $2}' "/proc/$1/status"; }

# ---------- servers ----------
declare -A PID PORT URL LIFE_HWM
stop_servers() {
  for b in "${!PID[@]}"; do
    if kill -0 "${PID[$b]}" 2>/dev/null; then kill "${PID[$b]}" 2>/dev/null || true; wait "${PID[$b]}" 2>/dev/null || true; fi
  done
}
AUTOGROUP_FILE=/proc/sys/kernel/sched_autogroup_enabled
AUTOGROUP_WAS=$(cat "$AUTOGROUP_FILE" 2>/dev/null || echo unknown)
restore_host() {
  if [ "$NO_AUTOGROUP" = 1 ] && [ "$AUTOGROUP_WAS" != unknown ]; then echo "$AUTOGROUP_WAS" >"$AUTOGROUP_FILE" 2>/dev/null || true; fi
}
trap 'stop_servers; restore_host' EXIT
if [ "$NO_AUTOGROUP" = 1 ]; then
  echo 0 >"$AUTOGROUP_FILE" || { echo "--no-autogroup: cannot write $AUTOGROUP_FILE (needs root)" >&2; exit 1; }
fi
i=0
for B in $BACKENDS; do
  PORT[$B]=$((ORGD_PORT + i)); i=$((i + 1))
  case $B in postgres) URL[$B]=$PG_URL ;; sqlite) URL[$B]=$SQLITE_URL ;; esac
done
if [[ " $BACKENDS " == *" postgres "* ]] || [ "$WITH_PEER" = 1 ]; then
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2; exit 1; }
fi

{
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel=$(uname -r)"
  echo "sched_autogroup=$(cat "$AUTOGROUP_FILE" 2>/dev/null || echo unknown)$([ "$NO_AUTOGROUP" = 1 ] && echo " (--no-autogroup; $AUTOGROUP_WAS before the run)")"
  echo "cpu=$(lscpu | awk -F: '/Model name/{gsub(/^ +/,"",$2); print $2; exit}')"
  echo "nproc=$(nproc)"
  echo "mem_total=$(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "rustc=$(rustc --version)"
  echo "orgd_commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates migrations Cargo.lock || echo ' (+ uncommitted changes)')"
  echo "orgd_server=orgd serve (release), ORGD_DB_POOL=$DB_POOL, ORGD_WORKERS=${ORGD_WORKERS:-default (one per core: $(nproc))}, ORGD_LOG=warn"
  echo "postgres=$(psql "${PG_URL%/*}/postgres" -qtAc 'show server_version' 2>/dev/null || echo '?')"
  echo "pg_settings=$(psql "${PG_URL%/*}/postgres" -qtAc "select string_agg(name||'='||setting||coalesce(unit,''), ', ' order by name) from pg_settings where name in ('shared_buffers','max_connections','synchronous_commit','fsync','work_mem','effective_cache_size','wal_level')" 2>/dev/null || echo '?')"
  echo "wrk=$(wrk --version 2>&1 | head -1 | awk '{print $2}')"
  echo "load=$DURATION, warmup=$WARMUP, threads=$THREADS, conns=$CONNS, timeout=$TIMEOUT, rounds=$ROUNDS"
  echo "rounds=$ROUNDS"
  echo "scenarios=$SCENARIOS"
  systems=""; for B in $BACKENDS; do systems="$systems orgd-$B"; done
  if [ "$WITH_PEER" = 1 ]; then for V in $PEER_VARIANTS; do systems="$systems peer-$V"; done; fi
  echo "systems=${systems# }"
  echo "peer=$([ "$WITH_PEER" = 1 ] && echo "Better Auth via $PEER_SRC/run.sh (unchanged, run from a copy in $PEER_DIR, PG_POOL_MAX=$DB_POOL), variants: $PEER_VARIANTS" || echo 'not run')"
  echo "db_pool=$DB_POOL for every system$([ "$DB_POOL" = 10 ] || echo " (the workload's is 10: reported, not the peer's default)")"
  [ "$WITH_PEER" = 1 ] && echo "peer_mode=$PEER_MODE ($( [ "$PEER_MODE" = scenario ] && echo 'one peer run.sh invocation per scenario and round, right after orgd measured that scenario' || echo 'one peer run.sh invocation per round, after orgd measured that round'))"
  smoke=0
  [ "$DURATION $WARMUP $ROUNDS $THREADS $CONNS $TIMEOUT" = "20s 5s 3 2 64 10s" ] || smoke=1
  echo "smoke=$smoke"
} >"$RUN_DIR/meta.env"

start_server() {  # backend
  local B=$1 dir="$BENCH_WORK/data-$1" idle
  log "== orgd on $B: reset, migrate, seed"
  "$TOOL" reset --database-url "${URL[$B]}" 2>&1 | tee -a "$RUN_DIR/run.log" >&2
  ORGD_DATABASE_URL="${URL[$B]}" "$ORGD" migrate >>"$RUN_DIR/orgd-$B-migrate.log" 2>&1
  idle=$(wait_quiet)
  "$TOOL" seed --database-url "${URL[$B]}" --out "$dir" | tee -a "$RUN_DIR/run.log" >&2
  cp "$dir/seed.json" "$RUN_DIR/orgd-$B-seed.json"
  echo "seed_pre_idle_busy_cores=$idle" >"$RUN_DIR/orgd-$B-seed.metrics"
  ORGD_DATABASE_URL="${URL[$B]}" ORGD_BIND="127.0.0.1:${PORT[$B]}" ORGD_DB_POOL=$DB_POOL ORGD_LOG=warn \
    "$ORGD" serve >"$RUN_DIR/orgd-$B-server.log" 2>&1 &
  PID[$B]=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:${PORT[$B]}/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  kill -0 "${PID[$B]}" 2>/dev/null || { tail -20 "$RUN_DIR/orgd-$B-server.log" >&2; exit 1; }
  {
    echo "idle_rss_kb=$(vm "${PID[$B]}" VmRSS)"
    echo "threads=$(vm "${PID[$B]}" Threads)"
    echo "config=release build, ORGD_DB_POOL=$DB_POOL, workers ${ORGD_WORKERS:-$(nproc)}, ORGD_LOG=warn"
  } >"$RUN_DIR/orgd-$B-server.metrics"
  LIFE_HWM[$B]=0
  log "orgd on $B: pid ${PID[$B]}, port ${PORT[$B]}, idle RSS $(vm "${PID[$B]}" VmRSS) kB"
}

FAILED=0
# One request per scenario, HTTP 200 and the body shape of the workload (the peer's check.mjs).
check() {  # backend scenario
  local B=$1 S=$2 dir="$BENCH_WORK/data-$1" base="http://127.0.0.1:${PORT[$1]}" out code
  local tok org torg tuser; tok=$(head -1 "$dir/hot_token.txt"); org=$(head -1 "$dir/hot_orgs.txt")
  read -r torg tuser < <(head -1 "$dir/s5_targets.txt")
  local -a auth=(-H "authorization: Bearer $tok") json=(-H 'content-type: application/json')
  local expect
  case $S in
    S0) out=$(curl -s -w '\n%{http_code}' "$base/healthz"); expect='.status == "ok"' ;;
    S1) out=$(curl -s -w '\n%{http_code}' "${auth[@]}" "$base/api/organizations/$org?expand=members,invitations")
        expect=".id == \"$org\" and .member_count == 50 and (.members.items | length) == 50 and .members.total == 50 and (.invitations.items | length) == 2 and all(.members.items[]; .user.email != null)" ;;
    S2) out=$(curl -s -w '\n%{http_code}' "${auth[@]}" "$base/api/organizations/$org/members?limit=20")
        expect='(.items | length) == 20 and .total == 50 and all(.items[]; .user.email != null)' ;;
    S3) out=$(curl -s -w '\n%{http_code}' "${auth[@]}" "${json[@]}" -d '{"permissions":["users:update"]}' "$base/api/organizations/$org/permissions/check")
        expect='.allowed == true' ;;
    S4) out=$(curl -s -w '\n%{http_code}' "${auth[@]}" "$base/api/organizations?limit=100")
        expect='(.items | length) == 100 and .total == 100' ;;
    S5) out=$(curl -s -w '\n%{http_code}' -X PATCH "${auth[@]}" "${json[@]}" -d '{"role":"member"}' "$base/api/organizations/$torg/members/$tuser")
        expect=".user_id == \"$tuser\" and .role == \"member\"" ;;
    *) log "unknown scenario $S"; exit 2 ;;
  esac
  code=${out##*$'\n'}; out=${out%$'\n'*}
  if [ "$code" = 200 ] && jq -e "$expect" >/dev/null 2>&1 <<<"$out"; then
    log "check orgd-$B $S: HTTP $code OK (${#out} bytes)"
  else
    FAILED=1; log "check orgd-$B $S: HTTP $code FAIL ${out:0:300}"
  fi
}

measure() {  # backend scenario round -- the peer's window, for orgd
  local B=$1 S=$2 R=$3 P=${PID[$1]} F="$RUN_DIR/orgd-$1-$2-r$3" attempt=0
  local idle hwm s0 s1 b0 b1 st0 st1 t0 t1 wall srv pgc busy wrkc other rps bad sockerr poller=""
  export SCENARIO=$S BENCH_DATA="$BENCH_WORK/data-$B"
  while :; do
    attempt=$((attempt + 1))
    idle=$(wait_quiet)   # quiet machine -> warm-up -> measured window, back to back
    wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" --timeout "$TIMEOUT" -s bench/wrk/scenario.lua "http://127.0.0.1:${PORT[$B]}" >"$F.warmup.wrk" 2>&1
    hwm=$(vm "$P" VmHWM); [ "$hwm" -gt "${LIFE_HWM[$B]}" ] && LIFE_HWM[$B]=$hwm
    if ! echo 5 2>/dev/null >"/proc/$P/clear_refs"; then   # reset VmHWM -> peak of this window only
      : >"$F.rss"; ( while kill -0 "$P" 2>/dev/null; do vm "$P" VmRSS >>"$F.rss"; sleep 0.2; done ) & poller=$!
    fi
    pg_snapshot >"$RUN_DIR/pg0"; s0=$(proc_ticks "$P"); b0=$(sys_busy); st0=$(sys_steal); t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$RUN_DIR/wrk.time" \
      wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout "$TIMEOUT" --latency -s bench/wrk/scenario.lua "http://127.0.0.1:${PORT[$B]}" >"$F.wrk" 2>&1
    t1=$(date +%s.%N); st1=$(sys_steal); b1=$(sys_busy); s1=$(proc_ticks "$P"); pg_snapshot >"$RUN_DIR/pg1"
    if [ -n "$poller" ]; then kill "$poller" 2>/dev/null || true; wait "$poller" 2>/dev/null || true; poller=""
      hwm=$(sort -n "$F.rss" | tail -1); rm -f "$F.rss"
    else hwm=$(vm "$P" VmHWM); fi
    [ "$hwm" -gt "${LIFE_HWM[$B]}" ] && LIFE_HWM[$B]=$hwm
    wall=$(calc "$t1 - $t0"); srv=$(calc "($s1 - $s0) / $CLK_TCK")
    pgc=$(calc "$(pg_delta "$RUN_DIR/pg0" "$RUN_DIR/pg1") / $CLK_TCK"); busy=$(calc "($b1 - $b0) / $CLK_TCK")
    wrkc=$(awk '{printf "%.3f", $1+$2}' "$RUN_DIR/wrk.time")
    other=$(calc "($busy - $srv - $pgc - $wrkc) / $wall")
    {
      echo "wall_s=$wall"; echo "server_cpu_s=$srv"; echo "pg_cpu_s=$pgc"; echo "sys_busy_s=$busy"
      echo "wrk_cpu_s=$wrkc"; echo "other_cores=$other"; echo "attempts=$attempt"
      echo "steal_cores=$(calc "($st1 - $st0) / $CLK_TCK / $wall")"
      echo "pre_idle_busy_cores=$idle"; echo "vmhwm_kb=$hwm"; echo "vmrss_after_kb=$(vm "$P" VmRSS)"
    } >"$F.metrics"
    if awk "BEGIN{exit !($other <= $OTHER_MAX)}" || [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then break; fi
    log "orgd-$B $S round $R attempt $attempt: other processes used $other cores during the window; measuring again"
    mv "$F.wrk" "$F.discarded-$attempt.wrk"
  done
  rps=$(awk '/^Requests\/sec/{print $2}' "$F.wrk")
  bad=$(awk '/Non-2xx/{print $NF}' "$F.wrk"); bad=${bad:-0}
  sockerr=$(grep -c 'Socket errors' "$F.wrk" || true)
  log "orgd-$B $S round $R: ${rps} req/s, non-2xx=$bad, socket-error-lines=$sockerr, VmHWM=${hwm} kB, other-procs=${other} cores, attempts=$attempt"
  if [ "$bad" != 0 ] || [ "$sockerr" != 0 ] || [ "$(awk '/ requests in /{print $1}' "$F.wrk")" = 0 ] || [ -z "$rps" ]; then FAILED=1; log "orgd-$B $S had errors"; fi
}

# ---------- the peer ----------
PEER_RUNS=0
peer_prepare() {
  log "== peer: working copy of $PEER_SRC in $PEER_DIR (its run.sh writes node_modules/, runs/, bench-data/ beside itself)"
  mkdir -p "$PEER_DIR"
  rsync -a --delete --exclude node_modules/ --exclude runs/ --exclude bench-data/ --exclude 'results-2*.md' "$PEER_SRC/" "$PEER_DIR/"
  chmod -R u+w "$PEER_DIR"
}
peer_run() {  # "scenarios" round
  local scs=$1 R=$2 before pdir V S rc=0
  PEER_RUNS=$((PEER_RUNS + 1))
  before=$(ls "$PEER_DIR/runs" 2>/dev/null || true)
  log "peer run.sh: VARIANTS='$PEER_VARIANTS' SCENARIOS='$scs' ROUNDS=1 (round $R)"
  VARIANTS="$PEER_VARIANTS" SCENARIOS="$scs" ROUNDS=1 DURATION="$DURATION" WARMUP="$WARMUP" THREADS="$THREADS" \
    CONNS="$CONNS" TIMEOUT="$TIMEOUT" PG_POOL_MAX="$DB_POOL" "$PEER_DIR/run.sh" >"$RUN_DIR/peer-run-$PEER_RUNS.log" 2>&1 || rc=$?
  pdir=$(comm -13 <(echo "$before" | sort) <(ls "$PEER_DIR/runs" | sort) | tail -1)
  [ -n "$pdir" ] || { FAILED=1; log "peer run.sh wrote no run directory (exit $rc), see $RUN_DIR/peer-run-$PEER_RUNS.log"; return; }
  pdir="$PEER_DIR/runs/$pdir"
  [ "$rc" = 0 ] || { FAILED=1; log "peer run.sh exited $rc (errors in a window or a failed check), see $RUN_DIR/peer-run-$PEER_RUNS.log"; }
  grep -E 'round [0-9]+: |^check S|FAILED|had errors' "$RUN_DIR/peer-run-$PEER_RUNS.log" | sed 's/^/  peer: /' | tee -a "$RUN_DIR/run.log" >&2 || true
  [ -f "$RUN_DIR/peer-meta.env" ] || cp "$pdir/meta.env" "$RUN_DIR/peer-meta.env"
  for V in $PEER_VARIANTS; do
    for S in $scs; do
      for ext in wrk metrics warmup.wrk; do
        [ -f "$pdir/$V-$S-r1.$ext" ] && cp "$pdir/$V-$S-r1.$ext" "$RUN_DIR/peer-$V-$S-r$R.$ext"
      done
    done
    [ -f "$pdir/$V-seed.json" ] && cp "$pdir/$V-seed.json" "$RUN_DIR/peer-$V-seed.json"
    if [ -f "$pdir/$V-server.metrics" ]; then  # first invocation's idle RSS, largest lifetime peak
      cp "$pdir/$V-server.metrics" "$RUN_DIR/peer-$V-server-$PEER_RUNS.metrics"
      cat "$RUN_DIR"/peer-"$V"-server-*.metrics | awk -F= '
        $1=="idle_rss_kb" && !i {i=$2} $1=="threads" && !t {t=$2} $1=="lifetime_hwm_kb" && $2>h {h=$2}
        END {print "idle_rss_kb=" i; print "threads=" t; print "lifetime_hwm_kb=" h; print "config=one Node.js process per peer run.sh invocation (idle RSS of the first; lifetime peak over all)"}' \
        >"$RUN_DIR/peer-$V-server.metrics"
    fi
  done
}

# ---------- run ----------
for B in $BACKENDS; do start_server "$B"; done
for B in $BACKENDS; do for S in $SCENARIOS; do check "$B" "$S"; done; done
[ "$WITH_PEER" = 1 ] && peer_prepare
for R in $(seq 1 "$ROUNDS"); do
  for S in $SCENARIOS; do
    for B in $BACKENDS; do measure "$B" "$S" "$R"; done
    if [ "$WITH_PEER" = 1 ] && [ "$PEER_MODE" = scenario ]; then peer_run "$S" "$R"; fi
  done
  if [ "$WITH_PEER" = 1 ] && [ "$PEER_MODE" = round ]; then peer_run "$SCENARIOS" "$R"; fi
done
for B in $BACKENDS; do echo "lifetime_hwm_kb=${LIFE_HWM[$B]}" >>"$RUN_DIR/orgd-$B-server.metrics"; done
stop_servers
rm -f "$RUN_DIR/pg0" "$RUN_DIR/pg1" "$RUN_DIR/wrk.time"
if [ -f "$RUN_DIR/peer-meta.env" ]; then
  grep -E '^(node|better_auth)=' "$RUN_DIR/peer-meta.env" >>"$RUN_DIR/meta.env" || true
fi

"$TOOL" report "$RUN_DIR" >"$RESULTS"
log "results written to $RESULTS"
cat "$RESULTS"
if [ "$FAILED" != 0 ]; then log "SOME SCENARIOS HAD ERRORS OR FAILED THEIR CHECK -- results are not valid"; exit 1; fi

#!/usr/bin/env bash
# S5's write inside one PostgreSQL backend, without orgd or wrk: a procedure runs the role
# change with its audit row (the shape of orgd's statement) and COMMITs, N times, over the
# seeded S5 targets; prints the backend's CPU and the wall time per committed transaction.
# For changes on the database side (triggers, indexes): far steadier than S5's wrk
# windows, since one client has no one to wait for (docs/performance.md, item 39).
#
#   bench/s5_write_loop.sh [N=6000] [ROUNDS=3]
#
# Needs the database seeded by bench/run.sh (or orgd-bench seed) and PostgreSQL on this
# host (it reads the backend's /proc/PID/stat). Knobs (env):
#   PG_URL=postgres://postgres@127.0.0.1:5432/orgd_bench   BENCH_DATA=/var/tmp/orgd-bench/data-postgres
set -euo pipefail
N=${1:-6000} ROUNDS=${2:-3}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/orgd_bench}
BENCH_DATA=${BENCH_DATA:-/var/tmp/orgd-bench/data-postgres}
case "$PG_URL" in *bench*) ;; *) echo "refusing $PG_URL: the database name must contain 'bench'" >&2; exit 1 ;; esac
[ -r "$BENCH_DATA/s5_targets.txt" ] || { echo "no $BENCH_DATA/s5_targets.txt: seed first" >&2; exit 1; }
psql() { PGOPTIONS="-c client_min_messages=warning" command psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" "$@"; }

psql -c "DROP TABLE IF EXISTS bench_s5_targets" \
  -c "CREATE TABLE bench_s5_targets (i int PRIMARY KEY, org uuid NOT NULL, usr uuid NOT NULL)"
awk '{ printf "%d\t%s\t%s\n", NR - 1, $1, $2 }' "$BENCH_DATA/s5_targets.txt" |
  psql -c "\copy bench_s5_targets FROM stdin"
psql <<'SQL'
CREATE OR REPLACE PROCEDURE bench_s5_write_loop(n int) LANGUAGE plpgsql AS $$
DECLARE
  targets int := (SELECT count(*) FROM bench_s5_targets);
  r record;
BEGIN
  FOR k IN 1..n LOOP
    WITH t AS (SELECT org, usr FROM bench_s5_targets WHERE i = k % targets),
    w0 AS (
      UPDATE members m SET role = CASE WHEN m.role = 'admin' THEN 'member' ELSE 'admin' END,
        updated_at = now()
      FROM t, users
      WHERE users.id = m.user_id AND m.organization_id = t.org AND m.user_id = t.usr
      RETURNING m.organization_id, m.user_id, m.role, m.created_at, m.updated_at,
        users.username, users.name, users.email, users.avatar_url),
    a AS (
      INSERT INTO audit_events (id, organization_id, actor_id, action, target_type, target_id,
        before, after, request_id, created_at)
      SELECT gen_random_uuid(), w0.organization_id, w0.user_id, 'member.role_changed', 'member',
        w0.user_id::text, '{"role": "member"}', '{"role": "admin"}', 'bench', now()
      FROM w0)
    SELECT * INTO r FROM w0;
    COMMIT;
  END LOOP;
END $$;
SQL

for round in $(seq "$ROUNDS"); do
  # One session: warm up (plans cached, pages read), then measure the backend's own ticks.
  psql -At <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
CALL bench_s5_write_loop(200);
\! awk '{ sub(/^[0-9]+ \(.*\) /, ""); print \$12 + \$13 }' /proc/\$PID/stat > /tmp/s5_write_loop.t0
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CALL bench_s5_write_loop($N);
SELECT round((extract(epoch FROM clock_timestamp()) - :t0) * 1000000 / $N) AS wall \gset
\setenv WALL :wall
\! awk '{ sub(/^[0-9]+ \(.*\) /, ""); print \$12 + \$13 }' /proc/\$PID/stat > /tmp/s5_write_loop.t1
\! awk -v n=$N -v tck=\$(getconf CLK_TCK) -v wall=\$WALL -v r=$round 'NR == FNR { t0 = \$1; next } { printf "round %d: %d transactions, backend CPU %.0f us, wall %d us per transaction\\n", r, n, (\$1 - t0) / tck / n * 1e6, wall }' /tmp/s5_write_loop.t0 /tmp/s5_write_loop.t1
SQL
done

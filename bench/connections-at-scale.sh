#!/usr/bin/env bash
# Thousands of connections on one replica (issue 16).
#
#   bench/connections-at-scale.sh [CONNECTIONS] [STEADY_MINUTES]      default: 1000 10
#
# Starts fresh local servers and bench/src/TenantSimulator.java: CONNECTIONS
# accounts, each with its own token, its own 50–500 records in each of two
# resources (items, notes), its own quota of 2 calls per rolling second
# (advertised in RateLimit headers, enforced with 429); the first 50 answer 429
# to every third call besides; 1,000 records of random accounts change per
# minute. Then the packaged app with every role (-Xmx512m), the source
# "accounts" with connections, each resource polled every minute, a pool of
# BENCH_MAX_RUNS runs (32) and 2 per connection, and:
#  1. creates the CONNECTIONS connections through the API, sent over one minute (the i-th at i/CONNECTIONS
#     of it, at most BENCH_MAX_OPEN, 64, unanswered), and reports how long each create took to answer
#     and the time from the first create until every (connection, resource) has
#     completed its backfill;
#  2. waits until the polls that fell due during the backfills have run (the
#     oldest due row under 5 s old), lets it run STEADY_MINUTES after that;
#     half-way, starts a second replica with the poller role only;
#  3. reports, from sync_runs and the simulator's call log (bench/src/ScaleReport.java):
#     the lateness of every poll in the steady window (gap to the pair's run
#     before, less the schedule; with one replica, from the second's launch,
#     and from a schedule interval after it was ready), runs of one pair that overlapped, the runs
#     each replica did after the second started, the 429s answered to quiet
#     and noisy accounts, and the share of its quota each quiet account used
#     while a run of it was under way; the first replica's pool and schedule
#     (runs in flight, due rows, the oldest one's age; sampled every 10 s in
#     the steady window); and the first replica's heap after a full GC, its
#     RSS, and the per-connection cost (heap after GC with the connections,
#     less the same before any was created).
# BENCH_APP_ENV adds settings to both replicas (VAR=value ..., e.g. TIDEMARK_POLLER_PREFETCH_PAGES=2).
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS="${1:-1000}"
STEADY_MINUTES="${2:-10}"
NOISY="${BENCH_NOISY:-50}"
SIM_PORT=18099
KEY="YmVuY2gtY29ubmVjdGlvbnMta2V5LTMyLWJ5dGVzISE="
. bench/lib.sh

bench_build
start_servers TIDEMARK_LOCAL_KAFKA_FLUSH="${TIDEMARK_LOCAL_KAFKA_FLUSH:-os}"
JDBC="jdbc:postgresql://localhost:$PG_PORT/postgres"

java -Xmx1g -cp "$CP" bench/src/TenantSimulator.java $SIM_PORT "$CONNECTIONS" 2 "$NOISY" 1000 "$STATE/calls.log" \
  "$STATE/sim-ready" >"$STATE/sim.log" 2>&1 &
PIDS+=($!)
until [ -f "$STATE/sim-ready" ]; do sleep 0.2; done

cat >"$STATE/bench.yaml" <<YAML
tidemark:
  api:
    token: bench-token
  poller:
    max-runs: ${BENCH_MAX_RUNS:-32}
    max-runs-per-connection: 2
  sources:
    accounts:
      connections: {routing: url, variables: [tenant]}
      api:
        base-url: http://127.0.0.1:$SIM_PORT/t/{tenant}
        auth: {type: bearer}
        rate-limit: {requests-per-second: 2, burst: 1}
      resources:
        items:
          schedule: 1m
          list: {path: /items, items: /data, page-size: 100, page-size-param: limit,
                 updated-since: {param: updated_since}, pagination: {type: cursor}}
        notes:
          schedule: 1m
          list: {path: /notes, items: /data, page-size: 100, page-size-param: limit,
                 updated-since: {param: updated_since}, pagination: {type: cursor}}
YAML
export TIDEMARK_BENCH_APP_ENV="${BENCH_APP_ENV:-} TIDEMARK_SECRETS_KEY=$KEY HOSTNAME=replica-a"
start_app "receiver,processor,poller,relay" "$STATE/replica-a.log"
FIRST=$APP

heap_after_gc() { # pid port -> bytes of heap in use right after a full collection
  jcmd "$1" GC.run >/dev/null
  sleep 1
  curl -s "$(mgmt_url "$2")/q/metrics" | awk '/^jvm_memory_used_bytes\{area="heap"/ { s += $NF } END { printf "%d", s }'
}
rss() { awk '/VmRSS/ { printf "%d", $2 * 1024 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

sleep 5
EMPTY_HEAP=$(heap_after_gc "$FIRST" $APP_PORT)

echo "creating $CONNECTIONS connections over one minute"
# One JVM sends them (bench/src/ConnectionBurst.java), the i-th at i/CONNECTIONS of the minute, answered or not.
BURST=$(java -cp "$CP" bench/src/ConnectionBurst.java "http://localhost:$APP_PORT" bench-token "$CONNECTIONS" 60000 \
  "${BENCH_MAX_OPEN:-64}")
read -r CREATED_FROM CREATE_SPAN CREATE_LATENCY <<<"$BURST"
CREATED_TO=$((CREATED_FROM + CREATE_SPAN))
echo "created: the last answered $(echo "scale=1; $CREATE_SPAN / 1000" | bc) s after the first was sent; each create answered in $CREATE_LATENCY"

PAIRS=$((CONNECTIONS * 2))
while :; do
  done_pairs=$(java -cp "$CP" bench/src/ScaleReport.java backfilled "$JDBC" 2>/dev/null || echo 0)
  [ "$done_pairs" -ge "$PAIRS" ] && break
  [ $(( $(now_ms) - CREATED_FROM )) -gt 1800000 ] && { echo "only $done_pairs of $PAIRS pairs backfilled after 30 min" >&2; exit 1; }
  sleep 5
done
BACKFILLED=$(now_ms)
echo "every pair backfilled $(( (BACKFILLED - CREATED_FROM) / 1000 )) s after the first create"

# Settled: the polls that fell due during the backfills have run (the oldest due row is under 5 s old).
oldest_due() { curl -s "$(mgmt_url)/q/metrics" | awk '/^tidemark_poller_due_oldest_age_seconds / { printf "%d", $2 }'; }
while [ "$(oldest_due)" -ge 5 ]; do sleep 2; done
SETTLED=$(now_ms)
echo "settled $(( (SETTLED - BACKFILLED) / 1000 )) s later"
STEADY_FROM=$(now_ms)
# The first replica's pool and schedule every 10 s: runs in flight, due rows, the oldest one's age.
( while :; do
    curl -s "$(mgmt_url)/q/metrics" | awk -v t="$(date +%s)" '/^tidemark_poller_(runs_in_flight|due_backlog|due_oldest_age_seconds) / { printf "%s %s %s\n", t, $1, $2 }'
    sleep 10
  done >"$STATE/pool.log" 2>/dev/null ) &
PIDS+=($!)
sleep $((STEADY_MINUTES * 30))
echo "starting a second replica (poller only)"
SECOND_AT=$(now_ms)
SAVED_PORT=$APP_PORT
APP_PORT=$((APP_PORT + 1))
export TIDEMARK_BENCH_APP_ENV="${BENCH_APP_ENV:-} TIDEMARK_SECRETS_KEY=$KEY HOSTNAME=replica-b"
start_app poller "$STATE/replica-b.log"
SECOND_READY=$(now_ms)
echo "second replica ready $(( (SECOND_READY - SECOND_AT) / 1000 )) s after its launch"
APP_PORT=$SAVED_PORT
sleep $((STEADY_MINUTES * 30))
STEADY_TO=$(now_ms)

HEAP=$(heap_after_gc "$FIRST" $APP_PORT)
RSS=$(rss "$FIRST")
echo
echo "== $CONNECTIONS connections × 2 resources, schedule 1 min, $STEADY_MINUTES min steady =="
echo "created over $(echo "scale=1; $CREATE_SPAN / 1000" | bc) s (each answered in $CREATE_LATENCY); every pair backfilled $(( (BACKFILLED - CREATED_FROM) / 1000 )) s after the first create;" \
  "the polls due meanwhile caught up $(( (SETTLED - BACKFILLED) / 1000 )) s later"
java -cp "$CP" bench/src/ScaleReport.java report "$JDBC" "$STATE/calls.log" "$STEADY_FROM" "$STEADY_TO" 60 "$NOISY" "$SECOND_AT" "$SECOND_READY"
awk '$2 == "tidemark_poller_runs_in_flight" { if ($3 > r) r = $3 } $2 == "tidemark_poller_due_backlog" { if ($3 > b) b = $3 }
  $2 == "tidemark_poller_due_oldest_age_seconds" { if ($3 > a) a = $3 }
  END { printf "replica a, sampled every 10 s: runs in flight at most %d, due rows at most %d, oldest due row at most %.1f s\n", r, b, a }' \
  "$STATE/pool.log"
echo "replica a: heap after a full GC $((HEAP / 1048576)) MiB (before any connection: $((EMPTY_HEAP / 1048576)) MiB;" \
  "$(( (HEAP - EMPTY_HEAP) / CONNECTIONS / 1024 )) KiB per connection), RSS $((RSS / 1048576)) MiB"

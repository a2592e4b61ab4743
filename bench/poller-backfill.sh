#!/usr/bin/env bash
# The poller's backfill against the provider simulator (bench/src/SimulatorServer.java).
#
#   bench/poller-backfill.sh [RECORDS...]            default: 50000 200000
#   BENCH_QUOTA_RECORDS=60000 bench/poller-backfill.sh   the quota run's size (default 200000; 0 skips it)
#
# Starts fresh local servers and, for each size N, a simulator with N records
# and a packaged app with only the poller role (no processor, so the machine
# works for the poller alone); asks for a full sync of N records, page size 200,
# cursor pagination, and reports records/s (from the run's own start and end),
# calls made against ⌈N/200⌉+1, and the largest heap in use and the largest old
# generation (what outlived young collections; sampled every 0.5 s from /q/metrics). Then the same with a quota of 20 requests per rolling second
# advertised in RateLimit headers (RateLimit-Limit/-Remaining/-Reset and
# RateLimit-Policy: 20;w=1), after one unlimited full sync of the same records
# so the JIT has compiled the path: the share of the quota the run used
# (calls ÷ (seconds × 20)), the calls in each second, and the 429s the
# simulator answered.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(50000 200000)
QUOTA_RECORDS="${BENCH_QUOTA_RECORDS:-200000}"
SIM_PORT=18099
. bench/lib.sh

bench_prepare
start_servers TIDEMARK_LOCAL_KAFKA_FLUSH="${TIDEMARK_LOCAL_KAFKA_FLUSH:-os}"

start_simulator() { # records rate
  rm -f "$STATE/sim-ready"
  java -Xmx2g -cp "$CP" bench/src/SimulatorServer.java $SIM_PORT "$1" "$2" "$STATE/sim-ready" >"$STATE/sim.log" 2>&1 &
  SIM=$!
  PIDS+=($SIM)
  until [ -f "$STATE/sim-ready" ]; do sleep 0.2; done
}

api() { curl -s -H "Authorization: Bearer bench-token" "$@"; }
field() { sed -E "s/.*\"$1\":\"?([^,\"}]*)\"?.*/\1/"; }

sync() { # -> the finished run's JSON
  local run
  run=$(api -X POST -H 'Content-Type: application/json' -d '{"mode":"full"}' \
    "localhost:$APP_PORT/api/sources/bench/resources/items/sync" | field runId)
  PEAK=0
  OLD=0
  while :; do
    METRICS=$(curl -s "$(mgmt_url)/q/metrics")
    HEAP=$(echo "$METRICS" | awk '/^jvm_memory_used_bytes\{area="heap"/ { s += $NF } END { printf "%d", s }')
    GEN=$(echo "$METRICS" | awk '/^jvm_memory_used_bytes\{area="heap",id="G1 Old Gen"/ { s += $NF } END { printf "%d", s }')
    [ "$HEAP" -gt "$PEAK" ] && PEAK=$HEAP
    [ "$GEN" -gt "$OLD" ] && OLD=$GEN
    [ "$(api "localhost:$APP_PORT/api/runs/$run" | field status)" != "running" ] && break
    sleep 0.5
  done
  RUNJSON=$(api "localhost:$APP_PORT/api/runs/$run")
}

backfill() { # records rate label
  start_simulator "$1" 0
  write_config <<YAML
        items:
          list: {path: /cursor/items, items: /data, page-size: 200, page-size-param: limit,
                 updated-since: {param: updated_since, after-id-param: after_id}, pagination: {type: cursor}}
      api:
        base-url: http://127.0.0.1:$SIM_PORT
        rate-limit: {requests-per-second: 1000, burst: 1}
  api:
    token: bench-token
YAML
  start_app poller "$STATE/poller-$1.log"
  if [ "$2" -gt 0 ]; then
    sync   # the warm-up, unlimited
    curl -s "http://127.0.0.1:$SIM_PORT/_ratelimit?perSecond=$2"
    sleep 1.1
  fi
  sync
  STATS=$(curl -s "http://127.0.0.1:$SIM_PORT/_stats")
  kill -TERM $APP; wait $APP 2>/dev/null || true
  kill -TERM $SIM; wait $SIM 2>/dev/null || true
  python3 - "$1" "$2" "$3" "$PEAK" "$RUNJSON" "$STATS" "$OLD" <<'PY'
import json, sys, datetime, math
n, rate, label, peak = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
run, stats, old = json.loads(sys.argv[5]), json.loads(sys.argv[6]), int(sys.argv[7])
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
secs = (t(run["endedAt"]) - t(run["startedAt"])).total_seconds()
line = (f"   {label}: {run['status']}, {run['records']} records in {secs:.1f} s = {run['records'] / secs:,.0f} records/s; "
        f"{run['calls']} calls (⌈N/200⌉+1 = {math.ceil(n / 200) + 1}); peak heap {peak / 2**20:.0f} MiB, of it old generation {old / 2**20:.0f} MiB")
if rate:
    line += f"; quota {rate}/s: {run['calls'] / (secs * rate):.1%} used, {stats['tooManyRequests']} × 429"
print(line)
if rate:
    print("     calls in each second:", " ".join(str(n) for n in stats["listCallsPerSecond"]))
PY
}

for n in "${SIZES[@]}"; do
  backfill "$n" 0 "backfill of $n"
done
[ "$QUOTA_RECORDS" -gt 0 ] && backfill "$QUOTA_RECORDS" 20 "backfill of $QUOTA_RECORDS at an advertised 20 requests/s"
true

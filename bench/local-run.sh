#!/usr/bin/env bash
# Measures the local run: seconds from `deploy/local/run.sh` to /q/health/ready,
# the resident memory of every process it starts, and how long a signed
# webhook takes to become readable through the API. Stops the run afterwards.
#
#   bench/local-run.sh            # reuse .tidemark/ (a restart)
#   bench/local-run.sh --fresh    # start from empty data
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--fresh" ] && rm -rf .tidemark
PORT=8080

start=$(date +%s.%N)
setsid deploy/local/run.sh >target/bench-local-run.log 2>&1 &
RUN=$!
trap 'kill -TERM $RUN 2>/dev/null || true; wait $RUN 2>/dev/null || true' EXIT

until curl -sf "localhost:9000/q/health/ready" >/dev/null 2>&1; do
  kill -0 "$RUN" 2>/dev/null || { echo "the run stopped; see target/bench-local-run.log" >&2; exit 1; }
  sleep 0.2
done
printf 'ready: %.1f s after the command\n' "$(echo "$(date +%s.%N) - $start" | bc)"

echo "resident memory of the processes the run started:"
rss() { ps -o rss= -p "$1" 2>/dev/null | awk '{ s += $1 } END { printf "%5.0f MB", s/1024 }'; }
for role in "LocalServers|local Kafka broker (in-JVM) and PostgreSQL launcher" \
            "classworlds.launcher.Launcher.*quarkus:dev|Maven running quarkus:dev" \
            "dev-app-model|the Tidemark app (dev mode JVM)"; do
  pid=$(pgrep -f "${role%%|*}" | head -1 || true)
  [ -n "$pid" ] && echo "  $(rss "$pid")  ${role#*|}"
done
postmaster=$(pgrep -f "$(pwd)/.tidemark/postgres" | head -1 || true)
if [ -n "$postmaster" ]; then
  echo "  $(rss "$postmaster $(pgrep -d' ' -P "$postmaster")" | sed 's/ MB/ MB/')  PostgreSQL (postmaster and its backends)"
fi

# The first webhook after start-up also waits for the processor's consumer group
# to get its partitions; the later ones show the steady state.
for n in 1 2 3 4 5; do
  id="bench-$(date +%s%N)"
  body='{"type":"order.created","data":{"id":"'$id'","updated_at":"2026-11-24T10:00:00Z","status":"open","amount":1}}'
  sig="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac demo-secret -r | cut -d' ' -f1)"
  sent=$(date +%s.%N)
  curl -sf -X POST "localhost:$PORT/webhooks/demo" -H 'Content-Type: application/json' -H "X-Signature: $sig" -d "$body" >/dev/null
  until curl -sf -H 'Authorization: Bearer dev-token' "localhost:$PORT/api/records/demo/orders/$id" >/dev/null; do sleep 0.01; done
  printf 'webhook %d readable through the API after %.0f ms\n' "$n" "$(echo "($(date +%s.%N) - $sent) * 1000" | bc)"
done

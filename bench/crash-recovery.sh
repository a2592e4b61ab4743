#!/usr/bin/env bash
# How long after a processor is killed (SIGKILL) do changes on its partitions become readable?
# One receiver and two processors on local PostgreSQL and Kafka; the processors share the six partitions
# of tidemark.changes. After a warm-up delivery, processor A is killed and, at once, a delivery of 200
# changes (spread over every partition) is posted to the receiver; the figure is the time from the kill
# until processor B has applied all 200 (read through B's API). Changes on B's own partitions come at
# once; those on A's wait until the group notices A is gone (session.timeout.ms) and rebalances.
#   bench/crash-recovery.sh                 the shipped settings (session timeout 6 s)
#   TIDEMARK_BENCH_APP_ENV="MP_MESSAGING_INCOMING_CHANGES_IN_SESSION_TIMEOUT_MS=45000" bench/crash-recovery.sh
#                                           Kafka's default, for comparison
# Prints a line per round (BENCH_ROUNDS, 3, at most 9): "recovered after N ms"; BENCH_TRACE=1 prints the
# progress every 0.1 s. Needs only a JDK (and openssl, curl).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROUNDS=${BENCH_ROUNDS:-3}

bench_build
start_servers
write_config <<'YAML'
  api:
    token: bench-token
YAML

RECEIVER_PORT=18081; A_PORT=18082; B_PORT=18083
APP_PORT=$RECEIVER_PORT start_app receiver "$STATE/receiver.log"
APP_PORT=$B_PORT start_app processor "$STATE/processor-b.log"
B=$APP

post() { # prefix count updated_at
  local body="[" separator="" i
  for ((i = 0; i < $2; i++)); do
    body+="$separator{\"type\":\"order.created\",\"data\":{\"id\":\"$1-$i\",\"updated_at\":\"$3\",\"amount\":$i}}"
    separator=","
  done
  body+="]"
  local signature
  signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac bench-secret | awk '{print $NF}')
  curl -sf -o /dev/null -H 'Content-Type: application/json' -H "X-Signature: sha256=$signature" \
    --data-binary "$body" "localhost:$RECEIVER_PORT/webhooks/bench"
}

applied() { # prefix updated_at: how many of its records processor B's API has
  curl -sf -H 'Authorization: Bearer bench-token' "localhost:$B_PORT/api/records/bench/orders?limit=500&updatedSince=$2" \
    | grep -o "\"id\":\"$1-" | wc -l
}

for round in $(seq 1 "$ROUNDS"); do
  APP_PORT=$A_PORT start_app processor "$STATE/processor-a-$round.log"
  A=$APP
  # Both processors in the group, the partitions split between them: A reports some assigned to it.
  for _ in $(seq 1 120); do
    curl -sf "$(mgmt_url $A_PORT)/q/metrics" | grep -E '^kafka_consumer_coordinator_assigned_partitions\{client_id="kafka-consumer-changes-in"' \
      | grep -qvE ' 0\.0$' && break
    sleep 0.5
  done
  post "warm-$round" 200 "2026-12-0${round}T11:00:00Z"
  until [ "$(applied "warm-$round" "2026-12-0${round}T11:00:00Z")" -ge 200 ]; do sleep 0.2; done
  kill -KILL "$A"
  killed=$(date +%s%3N)
  post "after-$round" 200 "2026-12-0${round}T12:00:00Z"
  until [ "$(applied "after-$round" "2026-12-0${round}T12:00:00Z")" -ge 200 ]; do [ -n "${BENCH_TRACE:-}" ] && echo "  $(( $(date +%s%3N) - killed )) ms: $(applied "after-$round" "2026-12-0${round}T12:00:00Z") applied" >&2; sleep 0.1; done
  echo "round $round: recovered after $(( $(date +%s%3N) - killed )) ms"
  wait "$A" 2>/dev/null || true
done

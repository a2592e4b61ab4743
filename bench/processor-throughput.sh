#!/usr/bin/env bash
# The processor, the relay and webhook-to-event latency, on one machine.
#
#   bench/processor-throughput.sh [RECORDS] [VERSIONS] [NAIVE_CHANGES] [LATENCY_SECONDS] [RATE]
#
# Defaults 20000 records × 10 versions = 200,000 changes, 30,000 for the naive
# baseline, 30 s of latency at 1,000 deliveries/s. Starts fresh local servers
# (PostgreSQL with fsync on, as in production), then:
#  1. pre-loads tidemark.changes (bench/src/ChangeLoad.java) and starts the
#     packaged app as a processor only (TIDEMARK_ROLES=processor) with two
#     rules on bench/orders: prints changes applied per second, from the first
#     applied change to the last (read from /q/metrics);
#  2. starts a relay-only replica on the outbox that left: prints rows
#     (events and changelog entries) published per second;
#  3. the naive baseline (bench/src/NaiveProcessor.java) on the same topic:
#     the same ordered apply with one transaction per change;
#  4. the app with every role, wrk pacing signed webhooks to RATE/s (each a new
#     record, so each fires the "created" rule) while bench/src/EventLatency.java
#     times each event from its change's Kafka timestamp to a consumer reading it.
# Needs wrk (apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS="${1:-20000}"
VERSIONS="${2:-10}"
NAIVE="${3:-30000}"
LATENCY_SECONDS="${4:-30}"
RATE="${5:-1000}"
TOTAL=$((RECORDS * VERSIONS))
PG_PORT=57432
KAFKA_PORT=57092
APP_PORT=18080
STATE=$(mktemp -d /tmp/tidemark-bench-XXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$STATE"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
[ -f target/quarkus-app/quarkus-run.jar ] || ./mvnw -B -q package -DskipTests
./mvnw -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/local-classpath.txt -Dmdep.outputAbsoluteArtifactFilename=true
CP="target/test-classes:$(cat target/local-classpath.txt)"

TIDEMARK_LOCAL_PG_PORT=$PG_PORT TIDEMARK_LOCAL_KAFKA_PORT=$KAFKA_PORT \
  java -Xmx768m -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp "$CP" dev.tidemark.local.LocalServers "$STATE/servers" $$ >"$STATE/servers.log" 2>&1 &
PIDS+=($!)
until [ -f "$STATE/servers/ready" ]; do sleep 0.5; done

cat >"$STATE/bench.yaml" <<YAML
tidemark:
  sources:
    bench:
      webhook:
        scheme: hmac
        secrets: [bench-secret]
        hmac: {header: X-Signature, algorithm: sha256, encoding: hex, prefix: "sha256="}
      resources:
        orders:
          webhook: {events: [order.created], record: /data}
  rules:
    bench-created:
      source: bench
      resource: orders
      when: "true"
      event-type: bench.order.created
    bench-over-10k:
      source: bench
      resource: orders
      when: "record.amount >= 10000 && record.status != 'void'"
      event-type: bench.order.crossed-10k
YAML

app() { # roles log
  QUARKUS_DATASOURCE_REACTIVE_URL=postgresql://localhost:$PG_PORT/postgres QUARKUS_DATASOURCE_USERNAME=postgres \
  QUARKUS_DATASOURCE_PASSWORD=postgres KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT TIDEMARK_ROLES=$1 \
  QUARKUS_CONFIG_LOCATIONS="$STATE/bench.yaml" QUARKUS_HTTP_PORT=$APP_PORT QUARKUS_LOG_CATEGORY__DEV_TIDEMARK__LEVEL=WARN \
    java -Xmx512m ${TIDEMARK_BENCH_JAVA_OPTS:-} -jar target/quarkus-app/quarkus-run.jar >"$2" 2>&1 &
  APP=$!
  PIDS+=($APP)
  until curl -sf "localhost:$APP_PORT/q/health/ready" >/dev/null; do sleep 0.2; done
}
metric() { # prometheus metric name -> sum over its series
  curl -s "localhost:$APP_PORT/q/metrics" | awk -v m="$1" 'index($0, m "{") == 1 || index($0, m " ") == 1 { s += $NF } END { printf "%d", s }'
}
now() { date +%s.%N; }
rate() { echo "scale=0; $1 / ($3 - $2)" | bc; }

echo "1. processor: $TOTAL changes over $RECORDS records, rules on"
java -cp "$CP" bench/src/ChangeLoad.java 127.0.0.1:$KAFKA_PORT tidemark.changes "$RECORDS" "$VERSIONS"
app processor "$STATE/processor.log"
until [ "$(metric tidemark_processor_changes_total)" -gt 0 ]; do sleep 0.05; done
t0=$(now)
until [ "$(metric tidemark_processor_changes_total)" -ge "$TOTAL" ]; do sleep 0.2; done
t1=$(now)
EVENTS=$(metric tidemark_events_written_total)
APPLIED=$(metric tidemark_processor_changes_total)
PROCESSOR_RATE=$(rate "$TOTAL" "$t0" "$t1")
echo "   applied $APPLIED changes in $(echo "$t1 - $t0" | bc) s: $PROCESSOR_RATE changes/s; $EVENTS events written"
kill -TERM $APP; wait $APP 2>/dev/null || true

ROWS=$((TOTAL + EVENTS))
echo "2. relay: $ROWS outbox rows (changelog entries and events)"
app relay "$STATE/relay.log"
until [ "$(metric tidemark_relay_published_total)" -gt 0 ]; do sleep 0.05; done
t0=$(now)
until [ "$(metric tidemark_relay_published_total)" -ge "$ROWS" ]; do sleep 0.2; done
t1=$(now)
echo "   published in $(echo "$t1 - $t0" | bc) s: $(rate "$ROWS" "$t0" "$t1") rows/s"
kill -TERM $APP; wait $APP 2>/dev/null || true

echo "3. naive baseline: one transaction per change"
NAIVE_LINE=$(java -cp "$CP" bench/src/NaiveProcessor.java 127.0.0.1:$KAFKA_PORT tidemark.changes \
  "jdbc:postgresql://localhost:$PG_PORT/postgres" "$NAIVE")
echo "   $NAIVE_LINE"
NAIVE_RATE=$(echo "$NAIVE_LINE" | sed -E 's/.*= ([0-9]+) changes\/s/\1/')

echo "4. webhook to event at $RATE deliveries/s for $LATENCY_SECONDS s, every role in one replica"
java bench/src/WebhookLoad.java - bench-secret write $((RATE * (LATENCY_SECONDS + 5))) "$STATE/deliveries.txt" 512 >/dev/null
app receiver,processor,relay "$STATE/all.log"
java -cp "$CP" bench/src/EventLatency.java 127.0.0.1:$KAFKA_PORT bench.order.created $((LATENCY_SECONDS + 5)) >"$STATE/latency.txt" &
LAT=$!
until grep -q listening "$STATE/latency.txt" 2>/dev/null; do sleep 0.2; done
WRK=$(DELIVERIES="$STATE/deliveries.txt" WRK_THREADS=1 WRK_RATE=$RATE \
  wrk -t1 -c16 -d"${LATENCY_SECONDS}s" --latency -s bench/src/deliveries.lua "http://localhost:$APP_PORT/webhooks/bench")
wait $LAT
echo "   webhooks: $(echo "$WRK" | awk '/Requests\/sec/ { print $2 "/s" } /Non-2xx/ { print "non-2xx " $NF }' | paste -sd' ')"
echo "   webhook to event: $(tail -1 "$STATE/latency.txt")"

echo
echo "processor: $PROCESSOR_RATE changes/s; naive: $NAIVE_RATE changes/s; ratio $(echo "scale=1; $PROCESSOR_RATE / $NAIVE_RATE" | bc)"

#!/usr/bin/env bash
# Webhook receiver throughput and latency, against a baseline, on one machine.
#
#   bench/webhook-throughput.sh [SECONDS] [CONCURRENCY] [RATE] [BODY_BYTES]
#
# Starts a real Kafka and PostgreSQL (the local servers, fresh state), then:
#  1. the packaged app as a receiver-only replica (TIDEMARK_ROLES=receiver);
#  2. the baseline (bench/src/BaselineReceiver.java): the same bytes, the same
#     broker, the same topic, the same producer settings, no verification or mapping;
# and drives each with bench/src/WebhookLoad.java: a closed loop at CONCURRENCY
# requests in flight (the most it accepts per second), then an open loop at
# RATE deliveries/s (latency percentiles). Prints both and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-20}"
CONCURRENCY="${2:-64}"
RATE="${3:-2000}"
BODY="${4:-1024}"
PG_PORT=57432
KAFKA_PORT=57092
APP_PORT=18080
BASE_PORT=18081
STATE=$(mktemp -d /tmp/tidemark-bench-XXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$STATE"
}
trap cleanup EXIT

[ -f target/quarkus-app/quarkus-run.jar ] || ./mvnw -B -q package -DskipTests
./mvnw -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/local-classpath.txt -Dmdep.outputAbsoluteArtifactFilename=true

TIDEMARK_LOCAL_PG_PORT=$PG_PORT TIDEMARK_LOCAL_KAFKA_PORT=$KAFKA_PORT \
  java -Xmx768m -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp "target/test-classes:$(cat target/local-classpath.txt)" dev.tidemark.local.LocalServers "$STATE/servers" $$ \
  >"$STATE/servers.log" 2>&1 &
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
YAML

load() { # name url
  java bench/src/WebhookLoad.java "$2" bench-secret closed "$CONCURRENCY" 10 "$BODY" >/dev/null   # warm-up: JIT
  local closed open
  closed=$(java bench/src/WebhookLoad.java "$2" bench-secret closed "$CONCURRENCY" "$SECONDS_PER_RUN" "$BODY")
  open=$(java bench/src/WebhookLoad.java "$2" bench-secret open "$RATE" "$SECONDS_PER_RUN" "$BODY")
  echo "$1 $closed"
  echo "$1 $open"
}

QUARKUS_DATASOURCE_REACTIVE_URL=postgresql://localhost:$PG_PORT/postgres QUARKUS_DATASOURCE_USERNAME=postgres \
QUARKUS_DATASOURCE_PASSWORD=postgres KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT TIDEMARK_ROLES=receiver \
QUARKUS_CONFIG_LOCATIONS="$STATE/bench.yaml" QUARKUS_HTTP_PORT=$APP_PORT QUARKUS_LOG_CATEGORY__DEV_TIDEMARK__LEVEL=WARN \
  env ${TIDEMARK_BENCH_APP_ENV:-} java -Xmx512m -jar target/quarkus-app/quarkus-run.jar >"$STATE/app.log" 2>&1 &
APP=$!
PIDS+=($APP)
until curl -sf "localhost:$APP_PORT/q/health/ready" >/dev/null; do sleep 0.5; done
TIDEMARK=$(load tidemark "http://localhost:$APP_PORT/webhooks/bench")
kill -TERM $APP; wait $APP 2>/dev/null || true

java -Xmx512m -cp 'target/quarkus-app/lib/main/*' bench/src/BaselineReceiver.java $BASE_PORT 127.0.0.1:$KAFKA_PORT tidemark.changes \
  >"$STATE/baseline.log" 2>&1 &
BASE=$!
PIDS+=($BASE)
until grep -q listening "$STATE/baseline.log" 2>/dev/null; do sleep 0.5; done
BASELINE=$(load baseline "http://localhost:$BASE_PORT/webhooks/bench")

echo "$TIDEMARK"
echo "$BASELINE"
t=$(echo "$TIDEMARK" | awk '/mode=closed/ { for (i=1;i<=NF;i++) if ($i ~ /^accepted_per_s=/) { split($i,a,"="); print a[2] } }')
b=$(echo "$BASELINE" | awk '/mode=closed/ { for (i=1;i<=NF;i++) if ($i ~ /^accepted_per_s=/) { split($i,a,"="); print a[2] } }')
echo "ratio (tidemark / baseline, closed-loop accepted/s): $(echo "scale=2; $t / $b" | bc)"

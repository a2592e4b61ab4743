#!/usr/bin/env bash
# Webhook receiver throughput and latency, against a baseline, on one machine.
#
#   bench/webhook-throughput.sh [SECONDS] [CONCURRENCY] [RATE] [BODY_BYTES]
#
# Starts a real Kafka and PostgreSQL (the local servers, fresh state), then:
#  1. the packaged app as a receiver-only replica (TIDEMARK_ROLES=receiver);
#  2. the baseline (bench/src/BaselineReceiver.java): the same bytes, the same
#     broker, the same topic, the same producer settings, no verification or mapping;
# and drives each with wrk (Debian package "wrk") and bench/src/deliveries.lua,
# sending pre-signed distinct deliveries written by bench/src/WebhookLoad.java:
# first CONCURRENCY connections as fast as the server answers (the most it
# accepts per second), then the same connections paced to about RATE/s
# (latency percentiles at that rate). Prints both and the ratio.
# wrk, in C, is used because the JDK's HTTP client itself needed a whole core
# of this 2-core machine to drive ~1,000 requests/s.
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

command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
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

java bench/src/WebhookLoad.java - bench-secret write 200000 "$STATE/deliveries.txt" "$BODY"
export DELIVERIES="$STATE/deliveries.txt" WRK_THREADS=1

load() { # name url
  local max paced delay
  WRK_DELAY_MS=0 wrk -t1 -c"$CONCURRENCY" -d10s -s bench/src/deliveries.lua "$2" >/dev/null   # warm-up: JIT
  max=$(WRK_DELAY_MS=0 wrk -t1 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --latency -s bench/src/deliveries.lua "$2")
  delay=$(( CONCURRENCY * 1000 / RATE ))
  paced=$(WRK_DELAY_MS=$delay wrk -t1 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --latency -s bench/src/deliveries.lua "$2")
  echo "$1 max:   $(summary "$max")"
  echo "$1 paced: $(summary "$paced")"
}

summary() { # wrk output -> one line
  echo "$1" | awk '/Requests\/sec/ { rps=$2 } /Non-2xx/ { bad=$NF } / 50%/ { p50=$2 } / 90%/ { p90=$2 } / 99%/ { p99=$2 }
    END { printf "deliveries/s=%s non-2xx=%s p50=%s p90=%s p99=%s", rps, (bad == "" ? 0 : bad), p50, p90, p99 }'
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
t=$(echo "$TIDEMARK" | awk '/max:/ { split($3,a,"="); print a[2] }')
b=$(echo "$BASELINE" | awk '/max:/ { split($3,a,"="); print a[2] }')
echo "ratio (tidemark / baseline, deliveries/s at most): $(echo "scale=2; $t / $b" | bc)"

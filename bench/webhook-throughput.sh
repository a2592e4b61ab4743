#!/usr/bin/env bash
# Webhook receiver throughput and latency, against a baseline, on one machine.
#
#   bench/webhook-throughput.sh [SECONDS] [CONCURRENCY] [RATE] [BODY_BYTES] [ROUNDS]
#
# Starts a real Kafka and PostgreSQL (the local servers, fresh state), then,
# side by side on the same broker:
#  1. the packaged app as a receiver-only replica (TIDEMARK_ROLES=receiver);
#  2. the baseline (bench/src/BaselineReceiver.java): the same bytes, the same
#     broker, the same topic, the same producer settings, no verification or mapping.
# Both are warmed up (JIT), then driven in alternation, ROUNDS times, with wrk
# (Debian package "wrk") and bench/src/deliveries.lua, which sends pre-signed
# distinct deliveries written by bench/src/WebhookLoad.java: each round runs
# CONCURRENCY connections as fast as the server answers (the most it accepts
# per second) against Tidemark, then against the baseline, then the same
# connections paced to RATE deliveries/s against each (latency at that rate).
# Alternating in one run exposes both to the same broker, page cache and
# machine noise; the medians over the rounds are the figures.
# wrk, in C, is used because the JDK's HTTP client itself needed a whole core
# of this 2-core machine to drive ~1,000 requests/s.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-20}"
CONCURRENCY="${2:-64}"
RATE="${3:-2000}"
BODY="${4:-1024}"
ROUNDS="${5:-3}"
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

run() { # url rate -> one summary line
  summary "$(WRK_RATE=$2 wrk -t1 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --latency -s bench/src/deliveries.lua "$1")"
}

summary() { # wrk output -> one line
  echo "$1" | awk '/Requests\/sec/ { rps=$2 } /Non-2xx/ { bad=$NF } / 50%/ { p50=$2 } / 90%/ { p90=$2 } / 99%/ { p99=$2 }
    END { printf "deliveries/s=%s non-2xx=%s p50=%s p90=%s p99=%s", rps, (bad == "" ? 0 : bad), p50, p90, p99 }'
}

median() { # numbers on stdin -> their median
  sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

field() { # name -> that field's values from summary lines on stdin, wrk units made milliseconds
  awk -v f="$1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) { v = kv[2]
    if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) }
    else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
    print v } } }'
}

QUARKUS_DATASOURCE_REACTIVE_URL=postgresql://localhost:$PG_PORT/postgres QUARKUS_DATASOURCE_USERNAME=postgres \
QUARKUS_DATASOURCE_PASSWORD=postgres KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT TIDEMARK_ROLES=receiver \
QUARKUS_CONFIG_LOCATIONS="$STATE/bench.yaml" QUARKUS_HTTP_PORT=$APP_PORT QUARKUS_LOG_CATEGORY__DEV_TIDEMARK__LEVEL=WARN \
  env ${TIDEMARK_BENCH_APP_ENV:-} java -Xmx512m -jar target/quarkus-app/quarkus-run.jar >"$STATE/app.log" 2>&1 &
PIDS+=($!)
java -Xmx512m -cp 'target/quarkus-app/lib/main/*' bench/src/BaselineReceiver.java $BASE_PORT 127.0.0.1:$KAFKA_PORT tidemark.changes \
  >"$STATE/baseline.log" 2>&1 &
PIDS+=($!)
until curl -sf "localhost:$APP_PORT/q/health/ready" >/dev/null; do sleep 0.5; done
until grep -q listening "$STATE/baseline.log" 2>/dev/null; do sleep 0.5; done

TIDEMARK_URL="http://localhost:$APP_PORT/webhooks/bench"
BASELINE_URL="http://localhost:$BASE_PORT/webhooks/bench"
for url in "$TIDEMARK_URL" "$BASELINE_URL"; do   # warm-up: JIT, connections, producer
  WRK_RATE=0 wrk -t1 -c"$CONCURRENCY" -d20s -s bench/src/deliveries.lua "$url" >/dev/null
done
: >"$STATE/results"
for round in $(seq "$ROUNDS"); do
  for target in tidemark baseline; do
    url=$TIDEMARK_URL; [ $target = baseline ] && url=$BASELINE_URL
    echo "round=$round target=$target load=max $(run "$url" 0)" | tee -a "$STATE/results"
  done
  for target in tidemark baseline; do
    url=$TIDEMARK_URL; [ $target = baseline ] && url=$BASELINE_URL
    echo "round=$round target=$target load=$RATE/s $(run "$url" "$RATE")" | tee -a "$STATE/results"
  done
done

echo "medians over $ROUNDS rounds:"
for target in tidemark baseline; do
  for load in max "$RATE/s"; do
    lines=$(grep -F "target=$target load=$load " "$STATE/results")
    printf '%-8s %-7s deliveries/s=%s p50=%sms p99=%sms non-2xx=%s\n' "$target" "$load" \
      "$(echo "$lines" | field deliveries/s | median)" "$(echo "$lines" | field p50 | median)" \
      "$(echo "$lines" | field p99 | median)" "$(echo "$lines" | field non-2xx | median)"
  done
done
t=$(grep -F "target=tidemark load=max " "$STATE/results" | field deliveries/s | median)
b=$(grep -F "target=baseline load=max " "$STATE/results" | field deliveries/s | median)
echo "ratio (tidemark / baseline, median deliveries/s at most): $(echo "scale=2; $t / $b" | bc)"

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
BASE_PORT=18081
. bench/lib.sh

bench_prepare
start_servers
write_config </dev/null

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

start_app receiver "$STATE/app.log"
java -Xmx512m -cp 'target/quarkus-app/lib/main/*' bench/src/BaselineReceiver.java $BASE_PORT 127.0.0.1:$KAFKA_PORT tidemark.changes \
  >"$STATE/baseline.log" 2>&1 &
PIDS+=($!)
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

#!/usr/bin/env bash
# The processor, the relay and webhook-to-event latency, on one machine.
#
#   bench/processor-throughput.sh [RECORDS] [VERSIONS] [NAIVE_CHANGES] [LATENCY_SECONDS] [RATE]
#
# Defaults 20000 records × 10 versions = 200,000 changes, 30,000 for the naive
# baseline, 30 s of latency at 1,000 deliveries/s. Starts fresh local servers
# (PostgreSQL with fsync and synchronous_commit on, as in production), then:
#  1. pre-loads tidemark.changes (bench/src/ChangeLoad.java) and starts the
#     packaged app as a processor only (TIDEMARK_ROLES=processor) with two
#     rules on bench/orders: prints changes applied per second, from the first
#     applied change to the last (read from /q/metrics);
#  2. starts a relay-only replica on the outbox that left: prints rows
#     (events and changelog entries) published per second;
#  3. the naive baseline (bench/src/NaiveProcessor.java) on the same topic:
#     the same ordered apply with one transaction per change;
#  4. the app with every role, wrk pacing signed webhooks to RATE/s (each a new
#     record, so each fires the "created" rule) after a warm-up at that rate that
#     lasts until the JIT has compiled the path (at most BENCH_WARMUP_MAX_SECONDS,
#     240); then bench/src/EventLatency.java reads the topics and times each event
#     from its change's Kafka timestamp to its own, for the warm-up and the run.
# Needs wrk (apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS="${1:-20000}"
VERSIONS="${2:-10}"
NAIVE="${3:-30000}"
LATENCY_SECONDS="${4:-30}"
RATE="${5:-1000}"
TOTAL=$((RECORDS * VERSIONS))
STEPS="${BENCH_STEPS:-1 2 3 4}"   # a subset, e.g. BENCH_STEPS=4, to look at one part
. bench/lib.sh

bench_prepare
# The broker flushes as production brokers do (by the OS; durability comes from replication), not
# after every append as the local run's lone broker does; PostgreSQL keeps fsync and synchronous commits on.
start_servers TIDEMARK_LOCAL_KAFKA_FLUSH="${TIDEMARK_LOCAL_KAFKA_FLUSH:-os}"

write_config <<YAML
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

metric() { # prometheus metric name -> sum over its series
  curl -s "$(mgmt_url)/q/metrics" | awk -v m="$1" 'index($0, m "{") == 1 || index($0, m " ") == 1 { s += $NF } END { printf "%d", s }'
}
now() { date +%s.%N; }
rate() { echo "scale=0; $1 / ($3 - $2)" | bc; }

step() { [[ " $STEPS " == *" $1 "* ]]; }
PROCESSOR_RATE=0
NAIVE_RATE=0
if step 1; then
echo "1. processor: $TOTAL changes over $RECORDS records, rules on"
java -cp "$CP" bench/src/ChangeLoad.java 127.0.0.1:$KAFKA_PORT tidemark.changes "$RECORDS" "$VERSIONS"
start_app processor "$STATE/processor.log"
until [ "$(metric tidemark_processor_changes_total)" -gt 0 ]; do sleep 0.05; done
t0=$(now)
until [ "$(metric tidemark_processor_changes_total)" -ge "$TOTAL" ]; do sleep 0.2; done
t1=$(now)
EVENTS=$(metric tidemark_events_written_total)
APPLIED=$(metric tidemark_processor_changes_total)
PROCESSOR_RATE=$(rate "$TOTAL" "$t0" "$t1")
echo "   applied $APPLIED changes in $(echo "$t1 - $t0" | bc) s: $PROCESSOR_RATE changes/s; $EVENTS events written"
kill -TERM $APP; wait $APP 2>/dev/null || true
fi

if step 2 && step 1; then
ROWS=$((TOTAL + EVENTS))
echo "2. relay: $ROWS outbox rows (changelog entries and events)"
start_app relay "$STATE/relay.log"
until [ "$(metric tidemark_relay_published_total)" -gt 0 ]; do sleep 0.05; done
t0=$(now)
until [ "$(metric tidemark_relay_published_total)" -ge "$ROWS" ]; do sleep 0.2; done
t1=$(now)
echo "   published in $(echo "$t1 - $t0" | bc) s: $(rate "$ROWS" "$t0" "$t1") rows/s"
kill -TERM $APP; wait $APP 2>/dev/null || true
fi

if step 3; then
step 1 || java -cp "$CP" bench/src/ChangeLoad.java 127.0.0.1:$KAFKA_PORT tidemark.changes "$RECORDS" "$VERSIONS"
echo "3. naive baseline: one transaction per change"
NAIVE_LINE=$(java -cp "$CP" bench/src/NaiveProcessor.java 127.0.0.1:$KAFKA_PORT tidemark.changes \
  "jdbc:postgresql://localhost:$PG_PORT/postgres" "$NAIVE")
echo "   $NAIVE_LINE"
NAIVE_RATE=$(echo "$NAIVE_LINE" | sed -E 's/.*= ([0-9]+) changes\/s/\1/')
fi

if step 4; then
echo "4. webhook to event at $RATE deliveries/s for $LATENCY_SECONDS s, every role in one replica, once warm"
# Warm-up: the same load on other records, in chunks of WARM_CHUNK s, until the JIT's compilers used
# less than 5 % of a core over a chunk (read from the JVM's own counter, java.ci.totalTime). On these
# 2 cores C2 takes about half a core for the app's first minute; timing then would time the compiler.
WARM_CHUNK=15
WARM_MAX="${BENCH_WARMUP_MAX_SECONDS:-240}"
java bench/src/WebhookLoad.java - bench-secret write $((RATE * (WARM_MAX + WARM_CHUNK))) "$STATE/warmup.txt" 512 >/dev/null
split -l $((RATE * (WARM_CHUNK + 1))) -d -a 3 "$STATE/warmup.txt" "$STATE/warmup-"
java bench/src/WebhookLoad.java - bench-secret write $((RATE * (LATENCY_SECONDS + 5))) "$STATE/deliveries.txt" 512 >/dev/null
start_app receiver,processor,relay "$STATE/all.log"
jit_ms() { # milliseconds the app's JIT compilers have worked so far
  jcmd "$APP" PerfCounter.print | awk -F= '$1 == "java.ci.totalTime" { t = $2 } $1 == "sun.os.hrt.frequency" { f = $2 } END { printf "%d", t * 1000 / f }'
}
WARM_SINCE=$(date +%s%3N)
WARMED=0
for chunk in "$STATE"/warmup-*; do
  [ "$WARMED" -lt "$WARM_MAX" ] || break
  before=$(jit_ms)
  DELIVERIES="$chunk" WRK_THREADS=1 WRK_RATE=$RATE \
    wrk -t1 -c64 -d${WARM_CHUNK}s -s bench/src/deliveries.lua "http://localhost:$APP_PORT/webhooks/bench" >/dev/null
  WARMED=$((WARMED + WARM_CHUNK))
  compiled=$(( $(jit_ms) - before ))
  [ "$compiled" -ge $((WARM_CHUNK * 1000 / 20)) ] || break
done
WARM_UNTIL=$(date +%s%3N)
echo "   warm after ${WARMED} s (the JIT compiled for ${compiled} ms in the last ${WARM_CHUNK} s)"
sleep 5
SINCE=$(date +%s%3N)
WRK=$(DELIVERIES="$STATE/deliveries.txt" WRK_THREADS=1 WRK_RATE=$RATE \
  wrk -t1 -c64 -d"${LATENCY_SECONDS}s" --latency -s bench/src/deliveries.lua "http://localhost:$APP_PORT/webhooks/bench")
sleep 10   # the last events
java -cp "$CP" bench/src/EventLatency.java 127.0.0.1:$KAFKA_PORT bench.order.created "$SINCE" "jdbc:postgresql://localhost:$PG_PORT/postgres" >"$STATE/latency.txt"
WARMUP_LATENCY=$(env -u BENCH_LATENCY_SERIES java -cp "$CP" bench/src/EventLatency.java 127.0.0.1:$KAFKA_PORT bench.order.created "$WARM_SINCE-$WARM_UNTIL")
[ -z "${BENCH_LATENCY_SERIES:-}" ] || head -n -1 "$STATE/latency.txt"
curl -s "$(mgmt_url)/q/metrics" | awk '/^tidemark_relay_(pass|pass_rows|claim|kafka_ack)_(seconds_)?(count|sum|max)/ { printf "   %s %s\n", $1, $2 }'
echo "   webhooks: $(echo "$WRK" | awk '/Requests\/sec/ { print $2 "/s" } /Non-2xx/ { print "non-2xx " $NF } / 50%/ { print "p50 " $2 } / 99%/ { print "p99 " $2 }' | paste -sd' ')"
echo "   webhook to event, during the warm-up: $WARMUP_LATENCY"
echo "   webhook to event: $(tail -1 "$STATE/latency.txt")"
fi

if step 1 && step 3; then
  echo
  echo "processor: $PROCESSOR_RATE changes/s; naive: $NAIVE_RATE changes/s; ratio $(echo "scale=1; $PROCESSOR_RATE / $NAIVE_RATE" | bc)"
fi

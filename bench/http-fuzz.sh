#!/usr/bin/env bash
# The long fuzz campaign: FUZZ_REQUESTS (100,000) hostile requests on each HTTP surface — webhooks (bodies,
# every scheme's signature headers, content types empty, malformed and repeated, form bodies, oversized
# headers), the read and admin API (path segments, query values, JSON bodies, tokens, methods) and the status
# page — against the running application (the tests' real PostgreSQL and Kafka), on FUZZ_THREADS (4)
# threads. Prints, per surface, the seed and the count of each status; fails on any 5xx, naming the request
# (-Dfuzz.seed=S -Dfuzz.only=I replays one). FUZZ_SEED fixes the seed.
#   bench/http-fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${FUZZ_REQUESTS:-100000}
THREADS=${FUZZ_THREADS:-4}
SEED=${FUZZ_SEED:-$(date +%s%N)}
LOG=$(mktemp /tmp/tidemark-fuzz-XXXX.log)
status=0
./mvnw -B -q test -Dtest=HttpFuzzTests -Dsurefire.failIfNoSpecifiedTests=false \
  -Dfuzz.requests="$REQUESTS" -Dfuzz.threads="$THREADS" -Dfuzz.seed="$SEED" >"$LOG" 2>&1 || status=$?
grep -aE '^fuzz |Expecting|request [0-9]+ ' "$LOG" || true
[ "$status" -eq 0 ] || echo "failed (exit $status): the whole output is in $LOG"
exit "$status"

#!/usr/bin/env bash
# Runs Tidemark locally with nothing but a JDK 17+: a real PostgreSQL and a real
# Kafka broker start beside Quarkus dev mode, with their data kept in .tidemark/
# so a restart finds what the last run stored. Ctrl-C stops everything.
#
#   deploy/local/run.sh            # then http://localhost:8080
#
# Ports: TIDEMARK_LOCAL_PG_PORT (55432), TIDEMARK_LOCAL_KAFKA_PORT (59092 and 59093),
# TIDEMARK_LOCAL_DEMO_PORT (58080, the demo provider; TIDEMARK_DEMO=off leaves it out; it posts
# webhooks to TIDEMARK_DEMO_TARGET, http://localhost:8080: set it too if you change the port).
# Extra arguments go to quarkus:dev, e.g. deploy/local/run.sh -Dquarkus.http.port=8081 -Dquarkus.management.port=9001
# (health and metrics are on the management port, 9000 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."

STATE="${TIDEMARK_LOCAL_STATE:-.tidemark}"
export TIDEMARK_LOCAL_PG_PORT="${TIDEMARK_LOCAL_PG_PORT:-55432}"
export TIDEMARK_LOCAL_KAFKA_PORT="${TIDEMARK_LOCAL_KAFKA_PORT:-59092}"
mkdir -p "$STATE" target

echo "Tidemark local run: building the launcher (the first run downloads dependencies)..."
./mvnw -B -q test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/local-classpath.txt -Dmdep.outputAbsoluteArtifactFilename=true

rm -f "$STATE/ready"
java -Xmx768m -cp "target/test-classes:$(cat target/local-classpath.txt)" \
  -Djava.util.logging.manager=org.jboss.logmanager.LogManager dev.tidemark.local.LocalServers "$STATE" $$ >"$STATE/servers.log" 2>&1 &
SERVERS=$!

APP=""
stop() {
  # The app first, so its Kafka consumer leaves the group while the broker still runs;
  # otherwise the next run waits for the departed member's session to expire.
  if [ -n "$APP" ] && kill -0 "$APP" 2>/dev/null; then
    kill -TERM -- "-$APP" 2>/dev/null || kill -TERM "$APP" 2>/dev/null || true
    wait "$APP" 2>/dev/null || true
  fi
  if kill -0 "$SERVERS" 2>/dev/null; then
    kill -TERM "$SERVERS" 2>/dev/null || true
  fi
  wait "$SERVERS" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

echo "Starting PostgreSQL (port $TIDEMARK_LOCAL_PG_PORT) and Kafka (port $TIDEMARK_LOCAL_KAFKA_PORT)..."
for _ in $(seq 1 240); do
  [ -f "$STATE/ready" ] && break
  if ! kill -0 "$SERVERS" 2>/dev/null; then
    echo "The local servers failed to start; the end of $STATE/servers.log:" >&2
    tail -n 30 "$STATE/servers.log" >&2
    exit 1
  fi
  sleep 0.5
done
[ -f "$STATE/ready" ] || { echo "The local servers did not start within 2 minutes; see $STATE/servers.log" >&2; exit 1; }
grep -h 'ready in' "$STATE/servers.log" || true

grep -h 'Demo provider' "$STATE/servers.log" || true

# The demo provider's API joins the demo source's configuration (deploy/local/demo.yaml), unless it is off.
DEMO_CONFIG=()
if [ "${TIDEMARK_DEMO:-on}" != "off" ]; then
  DEMO_CONFIG=("-Dquarkus.config.locations=$PWD/deploy/local/demo.yaml")
fi

# Its own process group, so stopping it stops Maven and the dev-mode JVM it forks together.
MAVEN_OPTS="${MAVEN_OPTS:--Xmx256m}" setsid ./mvnw -B quarkus:dev -Dquarkus.console.enabled=false -Dquarkus.analytics.disabled=true \
  ${DEMO_CONFIG[@]+"${DEMO_CONFIG[@]}"} "$@" &
APP=$!
wait "$APP"

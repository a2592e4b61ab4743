# What the bench scripts share; sourced by them, not run. It sets up a state
# directory (removed on exit unless BENCH_KEEP is set), stops every process it
# started on exit, and offers:
#   bench_prepare             wrk present, the packaged app built, the test classpath in $CP
#   bench_build               the same without wrk
#   start_servers [VAR=v...]  fresh local PostgreSQL and Kafka (dev.tidemark.local.LocalServers)
#   write_config              the "bench" source to $STATE/bench.yaml, plus whatever YAML is on stdin
#   start_app ROLES LOG       the packaged app on $APP_PORT with those roles, once it is ready; its pid in $APP;
#                             its management interface (health, metrics) on $APP_PORT + 1000: mgmt_url
# TIDEMARK_BENCH_JAVA_OPTS adds JVM options to the app (JFR, GC logs);
# TIDEMARK_BENCH_APP_ENV adds environment variables (VAR=value ...).
PG_PORT=57432
KAFKA_PORT=57092
APP_PORT=18080
STATE=$(mktemp -d /tmp/tidemark-bench-XXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${BENCH_KEEP:-}" ]; then echo "logs kept in $STATE"; else rm -rf "$STATE"; fi
}
trap cleanup EXIT

bench_prepare() {
  command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
  bench_build
}

bench_build() { # the packaged app and the test classpath, without wrk
  # Packaged again whenever a source or resource is newer than the jar: a benchmark of yesterday's jar measures nothing.
  if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ -n "$(find src/main pom.xml -newer target/quarkus-app/quarkus-run.jar -print -quit)" ]; then
    ./mvnw -B -q package -DskipTests
  fi
  ./mvnw -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/local-classpath.txt -Dmdep.outputAbsoluteArtifactFilename=true
  CP="target/test-classes:$(cat target/local-classpath.txt)"
}

start_servers() {
  env "$@" TIDEMARK_LOCAL_PG_PORT=$PG_PORT TIDEMARK_LOCAL_KAFKA_PORT=$KAFKA_PORT \
    java -Xmx768m -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
    -cp "$CP" dev.tidemark.local.LocalServers "$STATE/servers" $$ >"$STATE/servers.log" 2>&1 &
  PIDS+=($!)
  until [ -f "$STATE/servers/ready" ]; do sleep 0.5; done
}

write_config() {
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
  cat >>"$STATE/bench.yaml"
}

start_app() { # roles log
  QUARKUS_DATASOURCE_REACTIVE_URL=postgresql://localhost:$PG_PORT/postgres QUARKUS_DATASOURCE_USERNAME=postgres \
  QUARKUS_DATASOURCE_PASSWORD=postgres KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT TIDEMARK_ROLES=$1 \
  QUARKUS_CONFIG_LOCATIONS="$STATE/bench.yaml" QUARKUS_HTTP_PORT=$APP_PORT QUARKUS_MANAGEMENT_PORT=$((APP_PORT + 1000)) \
  QUARKUS_LOG_CATEGORY__DEV_TIDEMARK__LEVEL=WARN \
    env ${TIDEMARK_BENCH_APP_ENV:-} java -Xmx512m ${TIDEMARK_BENCH_JAVA_OPTS:-} -jar target/quarkus-app/quarkus-run.jar >"$2" 2>&1 &
  APP=$!
  PIDS+=($APP)
  until curl -sf "$(mgmt_url)/q/health/ready" >/dev/null; do sleep 0.2; done
}

mgmt_url() { # the management interface of the app on $APP_PORT (or on port $1)
  echo "localhost:$(( ${1:-$APP_PORT} + 1000 ))"
}

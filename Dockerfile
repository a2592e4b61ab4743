# Builds Tidemark from source and runs it: what docker compose (deploy/) uses.
# With a package already built, src/main/docker/Dockerfile.jvm is the faster one.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline
COPY src src
RUN ./mvnw -B -q package -Dmaven.test.skip=true

FROM registry.access.redhat.com/ubi9/openjdk-17-runtime:1.21
ENV LANGUAGE='en_US:en'
COPY --from=build --chown=185 /src/target/quarkus-app/lib/ /deployments/lib/
COPY --from=build --chown=185 /src/target/quarkus-app/*.jar /deployments/
COPY --from=build --chown=185 /src/target/quarkus-app/app/ /deployments/app/
COPY --from=build --chown=185 /src/target/quarkus-app/quarkus/ /deployments/quarkus/
EXPOSE 8080 9000
USER 185
ENV JAVA_OPTS_APPEND="-Dquarkus.http.host=0.0.0.0 -Djava.util.logging.manager=org.jboss.logmanager.LogManager"
ENV JAVA_APP_JAR="/deployments/quarkus-run.jar"
ENTRYPOINT [ "/opt/jboss/container/java/run/run-java.sh" ]

# syntax=docker/dockerfile:1
# The bridge's container image: `thingspace-bridge serve` as a non-root user, signals through tini, nothing but
# Node, the compiled code and the production dependencies (no npm).
#
#   docker build -t thingspace-kafka-bridge .
#   docker run --read-only -v "$PWD/bridge.yaml:/etc/thingspace-bridge/bridge.yaml:ro" \
#     -e KAFKA_BROKERS=... -e SCHEMA_REGISTRY_URL=... -p 8080:8080 thingspace-kafka-bridge
#
# Base: the official Node image on Alpine, the Node version scripts/run pins (a test keeps the two equal).
# Alpine rather than Debian slim because it is the smaller of the two official variants and no dependency
# has native code (musl is no concern). Size: see "Deploying" in the README (test/unit/deploy/dockerfile.test.ts
# checks what this file promises; the image itself is built elsewhere: CI here has no Docker engine).
ARG NODE_VERSION=24.21.0

# 1. Compile TypeScript with every dependency installed.
FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the only production one (protobufjs) merely prints version warnings.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# 2. Production dependencies alone, in their own stage so that a source change reuses this layer.
FROM node:${NODE_VERSION}-alpine AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# 3. The runtime's filesystem: the Node image with tini and the spool's directory, without what only installs
# packages or builds native code: npm, npx, corepack (/usr/local/lib/node_modules holds only those two), yarn,
# Node's C headers.
# tini as PID 1: forwards SIGTERM to node (whose handler drains and flushes, src/bridge.ts) and reaps zombies.
# Alpine's package installs /sbin/tini. The spool's default directory (config spool.dir) and the dedupe state's
# (docker-compose.yml, the chart's dedupe.stateDir) belong to the bridge's user, so that a Docker volume mounted
# there starts out writable for it.
FROM node:${NODE_VERSION}-alpine AS runtime-base
RUN apk add --no-cache tini \
  && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /opt/yarn-v* /usr/local/bin/yarn /usr/local/bin/yarnpkg /usr/local/include/node \
  && mkdir -p /var/lib/thingspace-bridge/spool /var/lib/thingspace-bridge/dedupe \
  && chown 1000:1000 /var/lib/thingspace-bridge/spool /var/lib/thingspace-bridge/dedupe

# 4. What runs: that filesystem copied whole into an empty image, one layer without npm. Removing npm in a layer
# on top of the Node image would only hide it: its files would still be in the base layers every node pulls and
# stores, and `docker save` shows. The copy keeps owners and modes; the base image's ENV is not copied, so PATH
# is set here.
FROM scratch AS runtime
COPY --from=runtime-base / /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# main.ts reads its version from package.json.
COPY package.json ./
# Owned by root, run as `node` (uid 1000 in the official image), numerically so that Kubernetes can verify
# runAsNonRoot. The process writes nothing to the filesystem: `--read-only` and readOnlyRootFilesystem work.
USER 1000:1000
ENV BRIDGE_CONFIG=/etc/thingspace-bridge/bridge.yaml
EXPOSE 8080
# Ready, not merely alive: compose's `service_healthy` then means "takes callbacks" (Kafka reachable, schema ids
# resolved). Kubernetes ignores HEALTHCHECK and uses the chart's probes. BRIDGE_PORT when the port is not 8080;
# with http.tls the main port speaks HTTPS: set HEALTHCHECK_PORT to http.healthPort (plain HTTP, its own /readyz).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const e=process.env;fetch(`http://127.0.0.1:${e.HEALTHCHECK_PORT||e.BRIDGE_PORT||8080}/readyz`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/sbin/tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["serve"]
# The OCI annotations (github.com/opencontainers/image-spec, annotations.md), last so that a new revision or date
# changes no layer. VERSION defaults to package.json's (a test keeps them equal); REVISION (the commit), CREATED
# (RFC 3339) and SOURCE (the repository's URL) come from the build, and are empty when it gives none:
#   docker build --build-arg REVISION="$(git rev-parse HEAD)" --build-arg CREATED="$(date -u +%FT%TZ)" \
#     --build-arg SOURCE="<the repository's URL>" -t thingspace-kafka-bridge .
ARG VERSION=0.1.0
ARG REVISION
ARG CREATED
ARG SOURCE
LABEL org.opencontainers.image.title="thingspace-kafka-bridge" \
  org.opencontainers.image.description="Receives Verizon ThingSpace SOAP callbacks, normalizes them into Avro events and publishes them to Kafka, keyed by device." \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}" \
  org.opencontainers.image.created="${CREATED}" \
  org.opencontainers.image.source="${SOURCE}" \
  org.opencontainers.image.licenses="Apache-2.0"

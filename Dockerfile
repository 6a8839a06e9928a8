# The control plane's image: one image, three roles (docker-compose.yml runs each):
#   worker    bin/mlops worker                              Temporal worker (workflows + activities)
#   api       bin/mlops api --host 0.0.0.0 --port 8081      webhook / API server
#   gateway   bin/mlops gateway --host 0.0.0.0 --port 8080  traffic gateway
# Where images can be pulled (CI, users):   docker build -t mlops-control-plane .
# Offline, on the base scripts/base-images makes (Node 20 + npm on Debian bookworm):
#   docker build --network host --build-arg NODE_IMAGE=mlops-node-base:20-bookworm-2 -t mlops-control-plane .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Dependencies, with the toolchain better-sqlite3 compiles with; only node_modules moves on.
FROM ${NODE_IMAGE} AS dependencies
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    MLOPS_DATA_DIR=/data \
    MLOPS_WORKER_METRICS_HOST=0.0.0.0
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY activities ./activities
COPY workflows ./workflows
COPY workers ./workers
COPY examples ./examples
RUN mkdir -p /data && chown 1000:1000 /data
# The uid of the `node` user of the official images; works on bases without that user too.
USER 1000:1000
VOLUME ["/data"]
ENTRYPOINT ["bin/mlops"]
CMD ["worker"]

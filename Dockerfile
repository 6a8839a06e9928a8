# The worker (and later the API and gateway) image: the repository with its npm dependencies.
FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ git && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY . .
ENV MLOPS_DATA_DIR=/data
VOLUME ["/data"]
CMD ["node", "--import", "tsx", "workers/main.ts"]

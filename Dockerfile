# syntax=docker/dockerfile:1
# Kure: `kure controller` by default; any other kure subcommand works too
# (docker run IMAGE render -f /in -o /out).

# ---- build: compile TypeScript with the full dependency set
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY crds ./crds
RUN npx tsc -p tsconfig.build.json

# ---- deps: production dependencies only
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime: non-root, no build tools, read-only friendly
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    KURE_GIT_CACHE_DIR=/var/cache/kure
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist/src ./dist/src
COPY --chown=root:root package.json ./
COPY --chown=root:root crds ./crds
RUN mkdir -p /var/cache/kure && chown 65532:65532 /var/cache/kure
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["controller"]

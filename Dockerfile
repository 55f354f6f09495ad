# syntax=docker/dockerfile:1
# Kure: `kure controller` by default; any other kure subcommand works too
# (docker run IMAGE render -f /in -o /out). Built by scripts/build-image.sh (podman or docker).
#
# At run time it writes only to the Git clone cache (KURE_GIT_CACHE_DIR=/var/cache/kure) and to
# TMPDIR (/tmp); everything else may be read-only (the chart mounts both as emptyDirs).

# The base image: any Debian-based image with Node.js 24 (npm for the build stages).
ARG BASE_IMAGE=node:24-bookworm-slim

# ---- build: compile TypeScript with the full dependency set
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm_ca: the build host's CA bundle when it reaches the registry through a TLS-intercepting proxy
# (scripts/build-image.sh passes it as a secret; never stored in a layer).
# The npm cache is a build cache mount: kept between builds on the build host, never in a layer.
RUN --mount=type=secret,id=npm_ca --mount=type=cache,target=/root/.npm,sharing=locked \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY crds ./crds
RUN npx tsc -p tsconfig.build.json

# ---- deps: production dependencies only
FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm_ca --mount=type=cache,target=/root/.npm,sharing=locked \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: non-root, no build tools, read-only friendly
FROM ${BASE_IMAGE}
ARG VERSION=dev
LABEL org.opencontainers.image.title="kure" \
      org.opencontainers.image.description="Kure: Kure resources in, Flux or Argo CD repository layout out, committed to Git" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    KURE_GIT_CACHE_DIR=/var/cache/kure \
    TMPDIR=/tmp
# A named user for uid 65532, so tools that look the uid up find it. The cache directory is
# world-writable (sticky) so that another uid (OpenShift assigns one) can use it too, and a tmpfs
# mounted over it (podman copies the directory's mode onto it) is writable by the controller.
RUN echo 'kure:x:65532:65532:kure:/nonexistent:/usr/sbin/nologin' >> /etc/passwd \
    && echo 'kure:x:65532:' >> /etc/group \
    && mkdir -p /var/cache/kure && chown 65532:65532 /var/cache/kure && chmod 1777 /var/cache/kure
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist/src ./dist/src
COPY --chown=root:root package.json ./
COPY --chown=root:root crds ./crds
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["controller"]

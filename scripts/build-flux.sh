#!/usr/bin/env bash
# Builds Flux's real source-controller and kustomize-controller (see test/flux/README.md) into
# .cache/flux/, only when a binary is missing or was built from other inputs (its wrapper module's
# go.mod/go.sum, this script, the Go version). Non-interactive; safe to run from a fresh clone.
#
#   scripts/build-flux.sh          # build what is needed, print the binaries' directory last
#   scripts/build-flux.sh --force  # always rebuild
#
# Needs Go >= 1.26 and the Go module proxy on the first run. Cold: a few minutes per controller on
# 2 cores; with a warm GOCACHE seconds. Keep GOCACHE and GOMODCACHE between CI runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$root/.cache/flux"
controllers=(source-controller kustomize-controller)
force=0
[[ "${1:-}" == "--force" ]] && force=1

log() { echo "build-flux: $*" >&2; }
command -v go >/dev/null 2>&1 || { log "Go is not installed (need Go >= 1.26); see test/flux/README.md"; exit 1; }

# Content hash of everything a binary is built from (not mtimes: a fresh clone or a CI cache of
# .cache/ with the same inputs does not rebuild).
inputs_hash() {
  {
    go version
    cd "$root/test/flux/$1" && sha256sum go.mod go.sum
    sha256sum < "$root/scripts/build-flux.sh"
  } | sha256sum | cut -d' ' -f1
}

mkdir -p "$out_dir"
t_all=$(date +%s)
for c in "${controllers[@]}"; do
  bin="$out_dir/$c"
  hash="$(inputs_hash "$c")"
  if [[ $force == 0 && -x "$bin" && -f "$bin.inputs" && "$(cat "$bin.inputs")" == "$hash" ]]; then
    log "up to date: $bin"
    continue
  fi
  src="$root/test/flux/$c"
  pkg="$(awk '$1 == "tool" { print $2; exit }' "$src/go.mod")"
  version="$(awk -v m="$pkg" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$src/go.mod")"
  t0=$(date +%s)
  log "$c $version: go mod download"
  (cd "$src" && go mod download)
  t1=$(date +%s)
  log "$c $version: go build (cold: a few minutes on 2 cores)"
  tmp="$bin.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  (cd "$src" && CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$tmp" "$pkg")
  mv -f "$tmp" "$bin"
  echo "$hash" > "$bin.inputs"
  t2=$(date +%s)
  log "built $bin ($(du -m "$bin" | cut -f1) MB): download $((t1 - t0)) s, build $((t2 - t1)) s"
done
log "done in $(($(date +%s) - t_all)) s"
echo "$out_dir"

#!/usr/bin/env bash
# Builds Gitea 1.26.0 (the forge of Kure's pull-request tests, test/support/gitea.ts) into
# .cache/gitea/, only when the binary is missing or was built from other inputs (the wrapper
# module's go.mod/go.sum in test/gitea, this script, the Go version). Non-interactive; safe to run
# from a fresh clone.
#
#   scripts/build-gitea.sh          # build what is needed, print the binary's directory last
#   scripts/build-gitea.sh --force  # always rebuild
#
# The wrapper module requires code.gitea.io/gitea and repeats its seven replace lines (Go ignores a
# dependency's replaces). CGO and the tags `sqlite sqlite_unlock_notify` (SQLite needs cgo); no
# `bindata`, so Gitea reads options/, templates/ and public/ from its work path: they are copied
# from the module cache next to the binary. Needs Go >= 1.26.2, a C compiler and the Go module
# proxy on the first run. Cold: about 6.5 minutes on 2 idle cores; with a warm GOCACHE seconds.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/test/gitea"
out_dir="$root/.cache/gitea"
bin="$out_dir/gitea"
pkg=code.gitea.io/gitea
force=0
[[ "${1:-}" == "--force" ]] && force=1

log() { echo "build-gitea: $*" >&2; }
command -v go >/dev/null 2>&1 || { log "Go is not installed (need Go >= 1.26.2)"; exit 1; }
command -v "${CC:-gcc}" >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 || { log "no C compiler (gcc or cc): Gitea's SQLite needs cgo"; exit 1; }

version="$(awk -v m="$pkg" '$1 == "require" && $2 == m { print $3; exit } $1 == m && $2 ~ /^v/ { print $2; exit }' "$src/go.mod")"
[[ -n "$version" ]] || { log "cannot find the $pkg version in $src/go.mod"; exit 1; }

# Content hash of everything the binary is built from (not mtimes).
inputs_hash() {
  {
    go version
    cd "$src" && sha256sum go.mod go.sum
    sha256sum < "$root/scripts/build-gitea.sh"
  } | sha256sum | cut -d' ' -f1
}

hash="$(inputs_hash)"
if [[ $force == 0 && -x "$bin" && -f "$bin.inputs" && "$(cat "$bin.inputs")" == "$hash" \
      && -d "$out_dir/options" && -d "$out_dir/templates" && -d "$out_dir/public" ]]; then
  log "up to date: $bin ($version)"
  echo "$out_dir"
  exit 0
fi

mkdir -p "$out_dir"
t0=$(date +%s)
log "gitea $version: go mod download"
for try in 1 2 3; do
  (cd "$src" && go mod download) && break
  [[ $try == 3 ]] && { log "go mod download failed 3 times (is the Go module proxy reachable?)"; exit 1; }
  log "go mod download failed; retrying in $((try * 10)) s"
  sleep $((try * 10))
done
moddir="$(cd "$src" && go list -m -f '{{.Dir}}' "$pkg")"
[[ -d "$moddir/options" ]] || { log "module directory $moddir has no options/"; exit 1; }
t1=$(date +%s)
log "gitea $version: go build with cgo, tags sqlite sqlite_unlock_notify (cold: about 6.5 minutes on 2 idle cores)"
tmp="$bin.tmp.$$"
trap 'rm -rf "$tmp" "$out_dir/.assets.$$"' EXIT
# Progress for a long build: a line a minute, so a CI log never looks hung.
( while sleep 60; do log "  still building ($(( $(date +%s) - t1 )) s)"; done ) &
ticker=$!
status=0
(cd "$src" && CGO_ENABLED=1 nice -n 10 go build -buildvcs=false -trimpath -tags 'sqlite sqlite_unlock_notify' \
  -ldflags "-s -w -X 'main.Version=${version#v}' -X 'main.Tags=sqlite sqlite_unlock_notify'" -o "$tmp" "$pkg") || status=$?
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
[[ $status == 0 ]] || { log "go build failed (exit $status)"; exit "$status"; }
t2=$(date +%s)

# options/ templates/ public/ from the module cache (read-only there: make the copies writable).
staging="$out_dir/.assets.$$"
mkdir -p "$staging"
for d in options templates public; do
  cp -r "$moddir/$d" "$staging/$d"
done
chmod -R u+w "$staging"
for d in options templates public; do
  rm -rf "${out_dir:?}/$d"
  mv "$staging/$d" "$out_dir/$d"
done
mv -f "$tmp" "$bin"
echo "$hash" > "$bin.inputs"
log "built $bin ($(du -m "$bin" | cut -f1) MB): download $((t1 - t0)) s, build $((t2 - t1)) s"
echo "$out_dir"

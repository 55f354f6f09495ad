#!/usr/bin/env bash
# Builds the local test control plane (etcd + the real kube-apiserver, see test/control-plane/)
# into .cache/control-plane/kube-control-plane, only when the binary is missing or was built from
# other Go sources, go.mod, go.sum, build script or Go version. Non-interactive; safe to run from a fresh clone.
#
#   scripts/build-control-plane.sh          # build if needed, print the binary's path last
#   scripts/build-control-plane.sh --force  # always rebuild
#
# Needs Go >= 1.26 (go.mod says `go 1.26.0`) and network access to the Go module proxy on the first run.
# The Go build cache (GOCACHE, default ~/.cache/go-build) makes rebuilds take well under a minute;
# keep it between CI runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/test/control-plane"
out_dir="$root/.cache/control-plane"
bin="$out_dir/kube-control-plane"
force=0
[[ "${1:-}" == "--force" ]] && force=1

log() { echo "build-control-plane: $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed (need Go >= 1.26); see test/control-plane/README.md"
  exit 1
fi

# Up to date when the binary exists and was built from exactly these inputs: the Go sources, go.mod,
# go.sum, this script and the Go version (a content hash, so a fresh checkout with new mtimes but the
# same sources, or a CI cache of .cache/, does not rebuild).
inputs_hash() {
  {
    go version
    cd "$src" && find . -maxdepth 1 \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z | xargs -0 sha256sum
    sha256sum < "$root/scripts/build-control-plane.sh"
  } | sha256sum | cut -d' ' -f1
}
hash="$(inputs_hash)"
stamp="$bin.inputs"
if [[ $force == 0 && -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
  log "up to date: $bin"
  echo "$bin"
  exit 0
fi

# The Kubernetes version comes from go.mod, so /version reports exactly what was built.
k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$src/go.mod")"
if [[ ! "$k8s_version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+ ]]; then
  log "cannot find the k8s.io/kubernetes version in $src/go.mod"
  exit 1
fi
major="${BASH_REMATCH[1]}"
minor="${BASH_REMATCH[2]}"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

mkdir -p "$out_dir"
cd "$src"
t0=$(date +%s)
log "go mod download ($(go version | awk '{print $3}'))"
go mod download
t1=$(date +%s)
log "go build kube-control-plane, Kubernetes $k8s_version (a cold build takes 10-20 min on 2 cores)"
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
go build -buildvcs=false -trimpath -ldflags "$ldflags" -o "$tmp" .
mv -f "$tmp" "$bin"
echo "$hash" > "$stamp"
t2=$(date +%s)
log "built $bin ($(du -m "$bin" | cut -f1) MB): download $((t1 - t0)) s, build $((t2 - t1)) s, total $((t2 - t0)) s"
echo "$bin"

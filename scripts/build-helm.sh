#!/usr/bin/env bash
# Builds helm from its Go module (helm.sh/helm/v4, the version pinned below) into .cache/bin/helm, only
# when the binary is missing or was built from another version, Go version or build script (a content
# hash in .cache/bin/helm.inputs, the way scripts/build-control-plane.sh does it). No prebuilt binary is
# downloaded: only the Go module proxy is used.
#
#   scripts/build-helm.sh          # build if needed, print the binary's path last
#   scripts/build-helm.sh --force  # always rebuild
#
# Measured on 2 cores: cold (empty GOCACHE) 9.7 min wall on a loaded machine (3.9 min user CPU); with the
# GOCACHE warm from the control plane build much less; warm (a fresh clone, GOCACHE kept) 20 s. Keep GOCACHE and GOMODCACHE
# between CI runs.
set -euo pipefail

HELM_VERSION=v4.3.2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$root/.cache/bin"
bin="$out_dir/helm"
force=0
[[ "${1:-}" == "--force" ]] && force=1

log() { echo "build-helm: $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed (need Go >= 1.25 for helm $HELM_VERSION)"
  exit 1
fi

hash="$({ go version; echo "$HELM_VERSION"; sha256sum < "$root/scripts/build-helm.sh"; } | sha256sum | cut -d' ' -f1)"
stamp="$bin.inputs"
if [[ $force == 0 && -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
  log "up to date: $bin ($HELM_VERSION)"
  echo "$bin"
  exit 0
fi

mkdir -p "$out_dir"
work="$(mktemp -d)"
tmp="$bin.tmp.$$"
ticker=""
cleanup() {
  [[ -n "$ticker" ]] && kill "$ticker" 2>/dev/null || true
  rm -rf "$work" "$tmp"
}
trap cleanup EXIT

t0=$(date +%s)
# `go install module/cmd@version` builds with helm's own go.mod (its pinned dependency versions); the
# ldflags stamp the version that `helm version` prints. Same flags as the control plane build (-trimpath,
# default cgo), so the Kubernetes packages both use (k8s.io/* v0.37) come from the one GOCACHE.
log "go install helm.sh/helm/v4/cmd/helm@$HELM_VERSION ($(go version | awk '{print $3}'); cold: several minutes on 2 cores, a line every 30 s)"
(while sleep 30; do log "still building... $(($(date +%s) - t0)) s"; done) &
ticker=$!
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
mkdir -p "$work/bin"
GOBIN="$work/bin" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
kill "$ticker" 2>/dev/null || true
ticker=""
mv -f "$work/bin/helm" "$tmp"
mv -f "$tmp" "$bin"
echo "$hash" > "$stamp"
t2=$(date +%s)
log "built $bin ($("$bin" version --short 2>/dev/null || echo "$HELM_VERSION"), $(du -m "$bin" | cut -f1) MB) in $((t2 - t0)) s"
echo "$bin"

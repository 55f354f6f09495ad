#!/usr/bin/env bash
# Builds what the real single-node cluster (test/support/real-node.ts) needs beside kube-control-plane,
# into .cache/node/, only when missing or built from other inputs (a content hash, like
# scripts/build-control-plane.sh):
#   - kube-node: kubelet, kube-controller-manager, kube-scheduler and kube-proxy in one binary
#     (test/control-plane/node/, the same go.mod as the control plane, so the same Kubernetes version
#     and most compiled packages are shared through GOCACHE);
#   - pause.tar: the sandbox ("pause") image as an OCI archive for `ctr images import`, since no public
#     registry is reachable: the Kubernetes source's own build/pause/linux/pause.c (from the module
#     cache, the same k8s.io/kubernetes version), linked statically with gcc, in a FROM scratch image
#     built with podman (the image is removed from podman's store again once saved).
#
#   scripts/build-node.sh          # build if needed, print the output directory last
#   scripts/build-node.sh --force  # always rebuild
#
# Needs Go >= 1.26, gcc with a static libc (Debian: gcc, libc6-dev), podman (scripts/setup-podman.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod="$root/test/control-plane"
out_dir="$root/.cache/node"
bin="$out_dir/kube-node"
pause_tar="$out_dir/pause.tar"
stamp="$out_dir/inputs"
force=0
[[ "${1:-}" == "--force" ]] && force=1

log() { echo "build-node: $*" >&2; }

for cmd in go gcc podman; do
  command -v "$cmd" >/dev/null || { log "$cmd is not installed (see test/control-plane/README.md, \"A real node\")"; exit 1; }
done

inputs_hash() {
  {
    go version
    gcc --version | head -1
    cd "$mod" && sha256sum go.mod go.sum node/*.go
    sha256sum < "$root/scripts/build-node.sh"
  } | sha256sum | cut -d' ' -f1
}
hash="$(inputs_hash)"
if [[ $force == 0 && -x "$bin" && -f "$pause_tar" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
  log "up to date: $out_dir"
  echo "$out_dir"
  exit 0
fi

k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$mod/go.mod")"
if [[ ! "$k8s_version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+ ]]; then
  log "cannot find the k8s.io/kubernetes version in $mod/go.mod"
  exit 1
fi
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=${BASH_REMATCH[1]} -X $pkg.gitMinor=${BASH_REMATCH[2]}"
ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

mkdir -p "$out_dir"
rm -f "$stamp"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$mod"
t0=$(date +%s)
go mod download
# Progress while Go compiles (minutes on a cold GOCACHE), not silence.
(while sleep 30; do log "  still compiling ($(($(date +%s) - t0)) s)"; done) &
ticker=$!
log "go build kube-node (kubelet, kube-controller-manager, kube-scheduler, kube-proxy) $k8s_version"
status=0
go build -buildvcs=false -trimpath -ldflags "$ldflags" -o "$work/kube-node" ./node || status=$?
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
((status == 0)) || exit "$status"
mv -f "$work/kube-node" "$bin"
t1=$(date +%s)

pause_src="$(go env GOMODCACHE)/k8s.io/kubernetes@$k8s_version/build/pause/linux/pause.c"
pause_tag="$(awk -F'[ ?=]+' '$1 == "TAG" { print $2; exit }' "$(dirname "$pause_src")/../Makefile")"
image="localhost/kure-node/pause:$pause_tag"
log "pause $pause_tag from $pause_src -> $image"
mkdir "$work/pause"
# The flags of build/pause/Makefile.
gcc -Os -Wall -Werror -static -DVERSION="v$pause_tag-kure" -o "$work/pause/pause" "$pause_src"
printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' > "$work/pause/Containerfile"
podman build -q --runtime runc -t "$image" "$work/pause" >/dev/null
podman save -q --format oci-archive -o "$work/pause.tar" "$image"
podman rmi -f "$image" >/dev/null
mv -f "$work/pause.tar" "$pause_tar"
echo "$image" > "$out_dir/pause.image"
echo "$hash" > "$stamp"
t2=$(date +%s)
log "built $bin ($(du -m "$bin" | cut -f1) MB) in $((t1 - t0)) s, $pause_tar in $((t2 - t1)) s"
echo "$out_dir"

#!/usr/bin/env bash
# Builds Argo CD's real application controller and repo-server (one binary from test/argocd/, see
# test/argocd/README.md) into .cache/argocd/, plus the helpers they run: kustomize (the version
# Argo CD v3.6 ships with, from test/argocd/kustomize/) and hack/git-verify-wrapper.sh from the Argo CD module. .cache/argocd/bin
# is what the tests put first on PATH: argocd, argocd-application-controller, argocd-repo-server and
# argocd-git-ask-pass (symlinks to the binary), kustomize, git-verify-wrapper.sh.
# Rebuilds only when the inputs (both modules' go.mod and go.sum, main.go, this script, the Go version) changed.
#
#   scripts/build-argocd.sh          # build if needed, print the bin directory last
#   scripts/build-argocd.sh --force  # always rebuild
#
# Argo CD v3.6 needs Go 1.27: GOTOOLCHAIN below makes the go command fetch that toolchain through the
# Go module proxy (about 75 MB, once per machine). Cold: several minutes on 2 cores; warm: seconds.
set -euo pipefail
export GOTOOLCHAIN=go1.27.4
export CGO_ENABLED=0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/test/argocd"
out_dir="$root/.cache/argocd"
bin_dir="$out_dir/bin"
bin="$out_dir/argocd"
force=0
[[ "${1:-}" == "--force" ]] && force=1

log() { echo "build-argocd: $*" >&2; }
command -v go >/dev/null 2>&1 || { log "Go is not installed (need Go >= 1.26, which fetches $GOTOOLCHAIN); see test/argocd/README.md"; exit 1; }

t_all=$(date +%s)
log "Go toolchain $GOTOOLCHAIN (fetched through the module proxy on first use)"
go_version="$(cd "$src" && go version)"

inputs_hash() {
  {
    echo "$go_version"
    cd "$src" && sha256sum go.mod go.sum ./*.go kustomize/go.mod kustomize/go.sum
    sha256sum < "$root/scripts/build-argocd.sh"
  } | sha256sum | cut -d' ' -f1
}
hash="$(inputs_hash)"
stamp="$out_dir/argocd.inputs"
if [[ $force == 0 && -x "$bin" && -x "$bin_dir/kustomize" && -x "$bin_dir/git-verify-wrapper.sh" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
  log "up to date: $bin_dir"
  echo "$bin_dir"
  exit 0
fi

mkdir -p "$bin_dir"
cd "$src"
argocd_version="$(awk '$1 == "github.com/argoproj/argo-cd/v3" && $2 ~ /^v/ { print $2; exit }' go.mod)"
t0=$(date +%s)
log "argo-cd $argocd_version: go mod download"
go mod download
argocd_dir="$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)"
(cd kustomize && go mod download)
t1=$(date +%s)
log "argo-cd $argocd_version: go build (cold: several minutes on 2 cores)"
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
version_pkg=github.com/argoproj/argo-cd/v3/common
nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w -X $version_pkg.version=${argocd_version#v} -X $version_pkg.gitTreeState=clean" -o "$tmp" .
mv -f "$tmp" "$bin"
t2=$(date +%s)
log "built $bin ($(du -m "$bin" | cut -f1) MB) in $((t2 - t1)) s"

kustomize_version="$(awk '$1 == "sigs.k8s.io/kustomize/kustomize/v5" && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == "sigs.k8s.io/kustomize/kustomize/v5" { print $3; exit }' kustomize/go.mod)"
want="$(sed -n 's/^KUSTOMIZE_VERSION=\([0-9.]*\)$/v\1/p' "$argocd_dir/hack/tool-versions.sh")"
[[ "$want" == "$kustomize_version" ]] || log "note: Argo CD $argocd_version ships kustomize $want, test/argocd/kustomize builds $kustomize_version"
log "kustomize $kustomize_version (Argo CD's repo-server runs the kustomize binary)"
(cd kustomize && nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$bin_dir/kustomize" sigs.k8s.io/kustomize/kustomize/v5)
t3=$(date +%s)

# Argo CD runs git-verify-wrapper.sh from PATH for every manifest generation (even with GPG off:
# without it each one fails with "permission denied"); it is part of the module's source.
install -m 0755 "$argocd_dir/hack/git-verify-wrapper.sh" "$bin_dir/git-verify-wrapper.sh"
for name in argocd argocd-application-controller argocd-repo-server argocd-git-ask-pass; do
  ln -sfn ../argocd "$bin_dir/$name"
done
echo "$hash" > "$stamp"
log "done: download $((t1 - t0)) s, argocd $((t2 - t1)) s, kustomize $((t3 - t2)) s, total $(($(date +%s) - t_all)) s"
echo "$bin_dir"

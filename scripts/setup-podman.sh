#!/usr/bin/env bash
# Makes podman run containers on a machine like this project's CI (Debian bookworm, root, a hybrid
# cgroup v1/v2 hierarchy, no Docker engine), for scripts/build-image.sh and the image test:
#   - Debian's podman and runc (and debootstrap for the stand-in base image); crun, podman's first
#     choice, fails here ("cgroups in hybrid mode not supported"), so runc is named explicitly;
#   - /etc/containers/containers.conf: runtime = "runc" under [engine] (so podman keeps to runc even if
#     crun gets installed), and default_ulimits = [] under [containers] (otherwise runc's setrlimit of
#     RLIMIT_NOFILE is refused: "error setting rlimit type 7: operation not permitted").
# Idempotent; an existing containers.conf is left alone when it already has both settings, else
# the two settings are written to a drop-in (/etc/containers/containers.conf.d/kure.conf).
set -euo pipefail
log() { echo "setup-podman: $*" >&2; }

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
  [[ $EUID == 0 ]] || { log "as root: apt-get install ${missing[*]}"; exit 1; }
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

conf_dir=/etc/containers/containers.conf.d
if [[ $EUID == 0 ]]; then
  mkdir -p "$conf_dir"
  cat > "$conf_dir/kure.conf" <<'CONF'
# Written by kure's scripts/setup-podman.sh.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
else
  log "not root: podman's rootless setup is left as it is"
fi
log "$(podman --version), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null || echo '?')"

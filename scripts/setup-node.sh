#!/usr/bin/env bash
# Installs what the real single-node cluster (test/support/real-node.ts) needs from Debian, beside
# scripts/setup-podman.sh (podman, runc): containerd (its CRI plugin; Debian bookworm: 1.6.20), the CNI
# plugins (bridge, host-local, loopback, portmap in /usr/lib/cni), nftables (kube-proxy's nftables mode),
# gcc and a static libc (the pause binary). Does not start containerd: the tests run their own, on their
# own socket. Idempotent; needs root.
set -euo pipefail
log() { echo "setup-node: $*" >&2; }

missing=()
command -v containerd >/dev/null || missing+=(containerd)
[[ -x /usr/lib/cni/bridge || -x /opt/cni/bin/bridge ]] || missing+=(containernetworking-plugins)
command -v nft >/dev/null || missing+=(nftables)
command -v iptables >/dev/null || missing+=(iptables)
command -v gcc >/dev/null || missing+=(gcc)
[[ -f /usr/lib/x86_64-linux-gnu/libc.a || -f /usr/lib/aarch64-linux-gnu/libc.a ]] || missing+=(libc6-dev)
if ((${#missing[@]})); then
  [[ $EUID == 0 ]] || { log "as root: apt-get install ${missing[*]}"; exit 1; }
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  # policy-rc.d: the package must not start a system containerd (on machines with an init that would).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
log "$(containerd --version | awk '{print $1, $3}'), $(runc --version 2>/dev/null | head -1 || echo 'runc: run scripts/setup-podman.sh'), CNI in $(ls -d /usr/lib/cni /opt/cni/bin 2>/dev/null | head -1)"

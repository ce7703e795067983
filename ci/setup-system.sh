#!/usr/bin/env bash
# Installs the Debian packages the non-default targets need and starts a Docker engine
# without its bridge (host networking only, so no container gets a private-range address).
# Idempotent: packages already present are not reinstalled; a running engine is reused.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || need+=(opensc)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
# javac compiles the vendor-SDK conformance program, which runs only when EVSM_VENDOR_SDK_DIR
# names the jars: without them the JDK (~72 MB to download) is not installed.
if [ -n "${EVSM_VENDOR_SDK_DIR:-}" ]; then
  command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
fi
# tmux: the console-mode bench prompts are tested in a real terminal
command -v tmux >/dev/null 2>&1 || need+=(tmux)

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

if [ ${#need[@]} -gt 0 ]; then
  echo "setup:system: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "setup:system: docker.io, softhsm2, opensc, chromium, java${EVSM_VENDOR_SDK_DIR:+, javac} and tmux are installed"
fi

if docker info >/dev/null 2>&1; then
  echo "setup:system: a Docker engine is running"
else
  log="${TMPDIR:-/tmp}/evsm-lab-dockerd.log"
  echo "setup:system: starting dockerd (--bridge=none --iptables=false), log in $log"
  $SUDO sh -c "nohup dockerd --bridge=none --iptables=false >'$log' 2>&1 &"
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  if docker info >/dev/null 2>&1; then
    echo "setup:system: Docker engine ready"
  else
    echo "setup:system: dockerd did not come up within 30 s; see $log" >&2
    exit 1
  fi
fi

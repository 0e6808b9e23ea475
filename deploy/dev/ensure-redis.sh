#!/usr/bin/env bash
# Installs redis-server from the OS packages when it is missing.
set -euo pipefail
command -v redis-server >/dev/null 2>&1 && exit 0
echo "redis-server not found: installing the OS package" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
  # Debian's package starts a system service on 6379; hookq starts its own.
elif command -v dnf >/dev/null 2>&1; then $SUDO dnf install -y redis
elif command -v brew >/dev/null 2>&1; then brew install redis
else echo "install redis-server (>= 6.2) and retry" >&2; exit 1; fi
command -v redis-server >/dev/null

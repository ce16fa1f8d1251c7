#!/usr/bin/env bash
# Runs every test of the solution. The browser tests drive Debian's Chromium; when it is missing and this
# runs as root on Debian, it is installed first, so a fresh machine needs nothing by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
exec dotnet test Pluggable.sln "$@"

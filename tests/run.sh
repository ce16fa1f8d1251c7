#!/usr/bin/env bash
# Runs every test of the solution. The browser tests drive Debian's Chromium, the symbol server tests serve the real
# debug files of Debian's libc6-dbg, the CPU accuracy tests compare with linux-perf's perf record -g and binutils'
# readelf, the transform cases run in Node.js; when any is missing and this runs as root on Debian, it is installed
# first, so a fresh machine needs nothing by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s libc6-dbg >/dev/null 2>&1 || missing+=(libc6-dbg)
# perf record -g is the ground truth the CPU samplers are held against; readelf the one for call frame information.
command -v perf >/dev/null 2>&1 || missing+=(linux-perf)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
# The transform cases run through the page's JavaScript too, outside a browser.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's ${missing[*]} for the tests..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
exec dotnet test Pluggable.sln "$@"

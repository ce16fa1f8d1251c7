#!/usr/bin/env bash
# Runs Pluggable's benchmarks and rewrites the figures in bench/README.md. Not part of CI.
#
#   bench/run.sh [--quick] [--prebuilt] [overhead] [processing] [page] [footprint] [accuracy]
#
# --quick     a smoke run (about 5 minutes): one short round per figure; the README marks its figures as such.
# --prebuilt  do not build the host, plugins and fixture: use their Debug builds as they are (for working beside
#             someone who builds them), and build only the harness against them, in Debug.
# commands    run only these (default: all five), then rewrite the README from every result file there is.
#
# Without --prebuilt, everything the bench runs is built in Release into bench/.build (and nothing else in the
# repository is touched). It installs what it compares with when missing: perf (Debian's linux-perf) and Chromium
# when run as root on Debian, and dotnet-trace (a pinned version, into bench/.tools).
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
# The figures are of profiling, not of fetching debug files in the background; and this machine may have no way out.
export PLUGGABLE_SYMBOL_SERVER="${PLUGGABLE_SYMBOL_SERVER:-none}"

dotnet_trace_version=10.0.750501
quick=()
prebuilt=false
commands=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    --prebuilt) prebuilt=true ;;
    overhead|processing|page|footprint|accuracy) commands+=("$arg") ;;
    *) echo "usage: bench/run.sh [--quick] [--prebuilt] [overhead] [processing] [page] [footprint] [accuracy]" >&2; exit 2 ;;
  esac
done
[ ${#commands[@]} -eq 0 ] && commands=(overhead processing page footprint accuracy)
started=$SECONDS

install_from_debian() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's $2 for the bench..." >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2
  else
    echo "warning: $1 is missing and cannot be installed here (needs root on Debian); its figures will fail" >&2
  fi
}
install_from_debian perf linux-perf
install_from_debian chromium chromium

tools="$repo/bench/.tools"
if ! dotnet tool list --tool-path "$tools" 2>/dev/null | grep -q "dotnet-trace *$dotnet_trace_version"; then
  dotnet tool uninstall dotnet-trace --tool-path "$tools" >/dev/null 2>&1
  dotnet tool install dotnet-trace --version "$dotnet_trace_version" --tool-path "$tools" >/dev/null || exit 1
fi

project="$repo/bench/Pluggable.Bench/Pluggable.Bench.csproj"
if $prebuilt; then
  echo "Building the harness (Debug) against the existing Debug builds..." >&2
  dotnet build "$project" -c Debug -p:BuildProjectReferences=false -p:RestoreRecursive=false --nologo -v q || exit 1
  harness="$repo/bench/Pluggable.Bench/bin/Debug/net10.0/Pluggable.Bench.dll"
else
  echo "Building the harness, host, plugins and fixture (Release) into bench/.build..." >&2
  # A separate artifacts folder and plugins folder: the Debug builds under bin/, obj/ and artifacts/ stay as they are.
  dotnet build "$project" -c Release --artifacts-path "$repo/bench/.build" -p:PluggablePluginsOutput="$repo/bench/.build/plugins/" -p:PluggableFixturesOutput="$repo/bench/.build/fixtures/" --nologo -v q || exit 1
  harness="$repo/bench/.build/bin/Pluggable.Bench/release/Pluggable.Bench.dll"
fi

failed=()
for command in "${commands[@]}"; do
  echo "== $command ($((SECONDS - started)) s so far)" >&2
  dotnet "$harness" "$command" "${quick[@]}" --results "$repo/bench/results" || failed+=("$command")
done
dotnet "$harness" report --results "$repo/bench/results" --readme "$repo/bench/README.md" || failed+=(report)

echo "Done in $((SECONDS - started)) s; results in bench/results, figures in bench/README.md." >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "Some figures are missing or partial: ${failed[*]} (see the messages above and the README)." >&2
  exit 1
fi

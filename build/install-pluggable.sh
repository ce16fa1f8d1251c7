#!/bin/sh
# Installs the pluggable command for this user from this clone: host/Pluggable.Cli packed as a dotnet tool, the bundled
# plugins inside. Each pack gets a version of its own, so that neither NuGet's cache nor an earlier pack of the same
# version is installed instead; `dotnet tool update` installs the tool when it is not there yet.
set -eu
cd "$(dirname "$0")/.."
version="$(dotnet msbuild host/Pluggable.Cli -getProperty:VersionPrefix)-local.$(date -u +%Y%m%d%H%M%S)"
rm -rf artifacts/tool
dotnet pack host/Pluggable.Cli -o artifacts/tool -p:PackageVersion="$version" -nologo
dotnet tool update --global Pluggable.Cli --add-source artifacts/tool --version "$version"

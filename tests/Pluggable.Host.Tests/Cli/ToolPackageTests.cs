using System.IO.Compression;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Cli;

/// <summary>The pluggable command as build/install-pluggable.sh makes it: the CLI packed as a dotnet tool, installed, run.</summary>
public class ToolPackageTests
{
    [Fact]
    public void The_tool_package_carries_every_bundled_plugin_and_installs_a_pluggable_command_that_runs()
    {
        using var folder = new TempFolder("pluggable-tool");
        var feed = folder.Sub("feed");
        var toolPath = folder.Sub("tools");
        // A version of its own, as the install script does, so that no package of an earlier run is installed instead.
        var version = $"0.1.0-test{DateTime.UtcNow:yyyyMMddHHmmss}";

        ExternalCommand.Run("dotnet", "pack", Path.Combine(RepoPaths.Root, "host", "Pluggable.Cli", "Pluggable.Cli.csproj"), "-o", feed, "--no-build",
            $"-c:{RepoPaths.BuildConfiguration}", $"-p:PackageVersion={version}", "-nologo", "-v:q");
        ExternalCommand.Run("dotnet", "tool", "install", "Pluggable.Cli", "--tool-path", toolPath, "--add-source", feed, "--version", version);
        var help = ExternalCommand.Run(Path.Combine(toolPath, "pluggable"), "--help");

        help.Should().Contain("Usage:").And.Contain("--pid").And.Contain("doctor");
        using var package = ZipFile.OpenRead(Path.Combine(feed, $"Pluggable.Cli.{version}.nupkg"));
        var bundled = Directory.GetDirectories(RepoPaths.BuiltPlugins).Select(Path.GetFileName).ToArray();
        bundled.Should().Contain("perf-sampler").And.Contain("html-flamegraph");
        package.Entries.Select(e => e.FullName).Should().Contain(bundled.Select(name => $"tools/net10.0/any/plugins/{name}/{name}.dll"));
    }
}

using System.Diagnostics;
using FluentAssertions;

namespace Pluggable.Testing;

/// <summary>Builds the plugins in tests/TestPlugins (which the solution does not reference) once, into a temporary plugins folder.</summary>
public sealed class DroppedPluginsFixture : IDisposable
{
    private readonly TempFolder _folder = new("pluggable-plugins");

    public DroppedPluginsFixture()
    {
        Build("DropInSampler", "dropin-sampler");
        Build("ThrowingSampler", "throwing-sampler");
        Build("OlderDependencySampler", "older-dependency-sampler");
        var noAssembly = Path.Combine(PluginsFolder, "no-assembly");
        Directory.CreateDirectory(noAssembly);
        File.WriteAllText(Path.Combine(noAssembly, "README.txt"), "a folder without a plugin in it");
        var badManifest = Path.Combine(PluginsFolder, "bad-manifest");
        Directory.CreateDirectory(badManifest);
        File.WriteAllText(Path.Combine(badManifest, "plugin.json"), "{\n  \"name\": \"bad-manifest\",\n  \"assembly\": \n}");
    }

    public string PluginsFolder => _folder.Sub("plugins");

    public void Dispose() => _folder.Dispose();

    private void Build(string project, string assembly)
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "build", Path.Combine(RepoPaths.Tests, "TestPlugins", project, project + ".csproj"),
            "-c", configuration, "-o", Path.Combine(PluginsFolder, assembly),
            // core is already built (the tests reference it); building it again here could race with other builds.
            "-p:BuildProjectReferences=false", "-nologo", "-v:q",
        })
        {
            start.ArgumentList.Add(argument);
        }
        using var build = Process.Start(start)!;
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        build.WaitForExit();
        build.ExitCode.Should().Be(0, $"building {project} failed:\n{output.Result}\n{errors.Result}");
    }
}

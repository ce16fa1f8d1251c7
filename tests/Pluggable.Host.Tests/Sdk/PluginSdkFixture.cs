using Pluggable.Core.Contracts;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Sdk;

/// <summary>
/// Does what a plugin author does, once for the class: packs Pluggable.Core (and, as a stranger's, a contract-2 build
/// of it), builds the sample plugins and a project made from the template (as generated, with the feed named in its
/// NuGet.config) against those packages, and drops them into a plugins folder. Restores go to a private packages
/// folder under a unique version, so nothing stale is used.
/// </summary>
public sealed class PluginSdkFixture : IDisposable
{
    private readonly TempFolder _folder = new("pluggable-sdk");
    private readonly string _restoreFolder;

    public PluginSdkFixture()
    {
        Feed = _folder.Sub("feed");
        PluginsFolder = _folder.Sub("plugins");
        _restoreFolder = _folder.Sub("packages");
        // The repository's version with a suffix of this run, as docs/writing-a-plugin.md packs it: the template's default
        // (the newest pack of that version) must find it.
        var repoVersion = typeof(PluginContract).Assembly.GetName().Version!;
        CoreVersion = $"{repoVersion.ToString(3)}-test{DateTime.UtcNow:yyyyMMddHHmmss}";
        ExternalCommand.Run("dotnet", "pack", Path.Combine(RepoPaths.Root, "core", "Pluggable.Core.csproj"), "-o", Feed, $"-p:PackageVersion={CoreVersion}",
            "--artifacts-path", _folder.Sub("core-build"), "-nologo", "-v:q");
        ExternalCommand.Run("dotnet", "pack", Path.Combine(RepoPaths.Root, "core", "Pluggable.Core.csproj"), "-o", Feed, "-p:PackageVersion=2.0.0-contract2", "-p:AssemblyVersion=2.0.0.0",
            "--artifacts-path", _folder.Sub("core2-build"), "-nologo", "-v:q");
        ExternalCommand.Run("dotnet", "pack", Path.Combine(RepoPaths.Root, "host", "Pluggable.Host", "Pluggable.Host.csproj"), "-o", Feed, "--no-build", $"-c:{RepoPaths.BuildConfiguration}", "-nologo", "-v:q");

        BuildPlugin(Path.Combine(RepoPaths.Root, "samples", "plugins", "TopSelfRenderer", "TopSelfRenderer.csproj"), "topself-renderer", CoreVersion);
        BuildPlugin(Path.Combine(RepoPaths.Root, "samples", "plugins", "GcPauseSampler", "GcPauseSampler.csproj"), "gcpause-sampler", CoreVersion);
        BuildPlugin(Path.Combine(RepoPaths.Root, "samples", "plugins", "TopSelfRenderer", "TopSelfRenderer.csproj"), "future-renderer", "2.0.0-contract2");
        File.WriteAllText(Path.Combine(PluginsFolder, "future-renderer", "plugin.json"), """{"name": "future-renderer", "assembly": "topself-renderer.dll"}""");

        var hive = _folder.Sub("template-hive");
        ExternalCommand.Run("dotnet", "new", "install", Path.Combine(RepoPaths.Root, "templates", "PluggablePlugin"), "--debug:custom-hive", hive);
        var project = Path.Combine(_folder.Path, "AcmeThreads");
        ExternalCommand.Run("dotnet", "new", "pluggable-plugin", "-n", "AcmeThreads", "-o", project, "--EventName", "acme_threads", "--PackageSource", Feed, "--debug:custom-hive", hive);
        // As generated: its own NuGet.config names the feed, and its default version takes the pack above.
        Build(Path.Combine(project, "AcmeThreads.csproj"), "AcmeThreads");
    }

    public string Feed { get; }

    public string PluginsFolder { get; }

    public string CoreVersion { get; }

    public void Dispose() => _folder.Dispose();

    /// <summary>Builds a sample against <paramref name="coreVersion"/> from the feed, whatever its own settings name.</summary>
    private void BuildPlugin(string project, string folder, string coreVersion) =>
        Build(project, folder, $"-p:PluggableCoreVersion={coreVersion}", $"-p:RestoreSources={Feed}%3Bhttps://api.nuget.org/v3/index.json");

    /// <summary>
    /// Builds a plugin into the plugins folder. Its restore goes to a private packages folder, so that no test pack lands
    /// in the user's cache, and falls back on the user's cache for everything else, so that it needs no network.
    /// </summary>
    private void Build(string project, string folder, params string[] properties) =>
        ExternalCommand.Run("dotnet", ["build", project, "-o", Path.Combine(PluginsFolder, folder), "-c", "Release", "-nologo", "-v:q",
            "--artifacts-path", _folder.Sub($"build-{folder}"),
            $"-p:RestorePackagesPath={_restoreFolder}",
            $"-p:RestoreFallbackFolders={Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")}",
            .. properties]);
}

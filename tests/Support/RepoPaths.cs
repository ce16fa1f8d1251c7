namespace Pluggable.Testing;

/// <summary>Where things are in the repository the tests were built from.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The folder every plugin project builds into: one folder per plugin, as the host loads them.</summary>
    public static string BuiltPlugins => Path.Combine(Root, "artifacts", "plugins");

    public static string Tests => Path.Combine(Root, "tests");

    /// <summary>The configuration the tests were built in, so that a <c>--no-build</c> pack finds that build.</summary>
    public static string BuildConfiguration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>The shop service fixture (tests/Fixtures/Service), built into a folder of its own.</summary>
    public static string ServiceFixture => Path.Combine(Root, "artifacts", "fixtures", "service", "Pluggable.Fixtures.Service.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pluggable.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Pluggable.sln above {AppContext.BaseDirectory}");
    }
}

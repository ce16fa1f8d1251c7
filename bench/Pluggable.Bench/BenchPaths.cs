namespace Pluggable.Bench;

/// <summary>What the harness runs, all of it built beside the harness (see Pluggable.Bench.csproj), and the tools it compares with.</summary>
internal sealed record BenchPaths(string DotnetTrace)
{
    /// <summary>This assembly, started again as <c>workload mixed|service</c> for the bench's own targets.</summary>
    public static string Harness => typeof(BenchPaths).Assembly.Location;

    /// <summary>The standalone host, attached to targets by pid.</summary>
    public static string Cli => Path.Combine(AppContext.BaseDirectory, "pluggable.dll");

    /// <summary>The fixture workloads as their own executable.</summary>
    public static string FixtureWorkload => Path.Combine(AppContext.BaseDirectory, "Pluggable.Fixtures.Workload.dll");

    /// <summary>The shop service fixture (tests/Fixtures/Service), in the fixtures folder of the build the harness is part of.</summary>
    public static string ServiceFixture => Path.Combine(
        System.Reflection.CustomAttributeExtensions.GetCustomAttributes<System.Reflection.AssemblyMetadataAttribute>(typeof(BenchPaths).Assembly).First(a => a.Key == "PluggableFixturesOutput").Value!,
        "service", "Pluggable.Fixtures.Service.dll");

    /// <summary>The built plugins, where the CLI and the in-process host load them from.</summary>
    public static string Plugins => Path.Combine(AppContext.BaseDirectory, "plugins");
}

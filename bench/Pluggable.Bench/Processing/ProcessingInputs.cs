using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Host.Plugins;
using Pluggable.Host.Targets;

namespace Pluggable.Bench.Processing;

/// <summary>A profile size the processing and page benchmarks share.</summary>
public sealed record ProfileSize(int Stacks, long Samples);

/// <summary>
/// What the processing benchmarks work on: the synthetic profiles (made once per size, as BenchmarkDotNet runs them in
/// this process), and the real plugins, loaded from plugins/ beside the harness the way the host loads them.
/// </summary>
public static class ProcessingInputs
{
    /// <summary>10k, 100k and 200k distinct stacks; a million samples is what 100 Hz on a busy service gives in under an hour.</summary>
    public static IReadOnlyList<ProfileSize> Sizes { get; } = [new(10_000, 100_000), new(100_000, 1_000_000), new(200_000, 1_000_000)];

    /// <summary>The transforms a user would typically turn on for a .NET service; those no loaded plugin serves are left out.</summary>
    public static JArray TypicalTransforms { get; } =
    [
        new JObject { ["type"] = "fold-async" },
        new JObject { ["type"] = "name-lambdas" },
        new JObject { ["type"] = "strip-generics" },
        new JObject { ["type"] = "hide", ["what"] = @"^System\.Threading\." },
        new JObject { ["type"] = "collapse-recursion" },
    ];

    private static readonly ConcurrentDictionary<int, StackProfile> Profiles = new();
    private static readonly Lazy<PluginRegistry> LoadedPlugins = new(() =>
    {
        using var logging = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        return new PluginFolderLoader(logging).LoadAll([BenchPaths.Plugins], TargetProcesses.Self());
    });

    public static PluginRegistry Plugins => LoadedPlugins.Value;

    /// <summary>The flamegraph renderer every stop uses.</summary>
    public static IRenderer Flamegraph => Plugins.FindRenderer("flamegraph")?.Renderer
        ?? throw new InvalidOperationException($"no flamegraph renderer in {BenchPaths.Plugins}");

    /// <summary>The diffgraph renderer, or null with the reason while no plugin serves it.</summary>
    public static (IRenderer? Renderer, string? Missing) Diffgraph =>
        Plugins.FindRenderer("diffgraph") is { Info.Inputs: 2 } diffgraph ? (diffgraph.Renderer, null) : (null, $"no diffgraph renderer is loaded from {BenchPaths.Plugins}");

    /// <summary>The typical transforms that the loaded plugins serve, built; or no pipeline, with the reason.</summary>
    public static ServedTransforms Transforms
    {
        get
        {
            var served = new JArray(TypicalTransforms.Where(spec => Plugins.FindTransform((string)spec["type"]!) is not null).Select(spec => spec.DeepClone()));
            if (served.Count == 0)
            {
                return new ServedTransforms(null, served, "no transform plugin is loaded");
            }
            try
            {
                return new ServedTransforms(TransformPipeline.Build(served, Plugins), served, null);
            }
            catch (OptionsException e)
            {
                return new ServedTransforms(null, served, $"the typical transforms do not build: {e.Message}");
            }
        }
    }

    public static ProfileSize SizeOf(int stacks) => Sizes.Single(s => s.Stacks == stacks);

    public static StackProfile Profile(int stacks) => Profiles.GetOrAdd(stacks, s => SyntheticProfiles.Generate(s, SizeOf(s).Samples));
}

/// <param name="Pipeline">The transforms built, or null when they cannot be (see <paramref name="Missing"/>).</param>
/// <param name="Specs">The specs of the typical transforms that the loaded plugins serve.</param>
/// <param name="Missing">Why there is no pipeline.</param>
public sealed record ServedTransforms(TransformPipeline? Pipeline, JArray Specs, string? Missing)
{
    public string Names => string.Join(", ", Specs.Select(s => (string)s["type"]!));
}

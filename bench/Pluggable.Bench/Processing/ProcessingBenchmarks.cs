using BenchmarkDotNet.Attributes;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;

namespace Pluggable.Bench.Processing;

/// <summary>What a stop and a re-render do with a profile, by its number of distinct stacks: write and read the raw text, transform, render.</summary>
public class ProfileBenchmarks
{
    private StackProfile _profile = null!;
    private string _folded = "";
    private RenderRequest _flamegraphRequest = null!;
    private TransformPipeline? _transforms;
    private RenderRequest? _diffgraphRequest;

    [ParamsSource(nameof(StackCounts))]
    public int Stacks { get; set; }

    public static IEnumerable<int> StackCounts => ProcessingInputs.Sizes.Select(s => s.Stacks);

    [GlobalSetup]
    public void Setup()
    {
        _profile = ProcessingInputs.Profile(Stacks);
        _folded = FoldedFormat.Write(_profile);
        _flamegraphRequest = new RenderRequest([_profile], new JArray(), new JObject());
        _transforms = ProcessingInputs.Transforms.Pipeline;
        if (ProcessingInputs.Diffgraph.Renderer is not null)
        {
            _diffgraphRequest = new RenderRequest([_profile, Reweighted(_profile)], new JArray(), new JObject());
        }
    }

    [Benchmark(Description = "write folded text")]
    public Task WriteFolded() => FoldedFormat.WriteAsync(_profile, Stream.Null);

    [Benchmark(Description = "parse folded text")]
    public StackProfile ParseFolded() => FoldedFormat.Read(_folded).Profile;

    [Benchmark(Description = "apply typical transforms")]
    public StackProfile ApplyTransforms() => _transforms!.Apply(_profile);

    [Benchmark(Description = "render flamegraph page")]
    public Task RenderFlamegraph() => ProcessingInputs.Flamegraph.RenderAsync(_flamegraphRequest, Stream.Null, CancellationToken.None);

    [Benchmark(Description = "render diffgraph page")]
    public Task RenderDiffgraph() => ProcessingInputs.Diffgraph.Renderer!.RenderAsync(_diffgraphRequest!, Stream.Null, CancellationToken.None);

    /// <summary>The same stacks with every other weight doubled: an "after" profile that differs everywhere.</summary>
    private static StackProfile Reweighted(StackProfile profile)
    {
        var builder = new StackProfileBuilder(profile.Metadata);
        foreach (var frame in profile.Frames)
        {
            builder.Intern(frame.Name, frame.Kind);
        }
        for (var i = 0; i < profile.Stacks.Count; i++)
        {
            builder.Add(profile.Stacks[i].Frames, profile.Stacks[i].Weight * (i % 2 + 1));
        }
        return builder.Build();
    }
}

/// <summary>What a sampler does for every sample: sum it into the profile by its stack (frames interned first, as a sampler names them).</summary>
public class SampleAggregationBenchmarks
{
    /// <summary>The distinct stacks the samples are drawn from, by their weights.</summary>
    private const int Population = 100_000;

    private StackProfile _population = null!;
    private int[][] _samples = [];

    [Params(10_000, 100_000, 1_000_000)]
    public int Samples { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _population = ProcessingInputs.Profile(Population);
        var cumulative = new long[_population.Stacks.Count];
        var total = 0L;
        for (var i = 0; i < cumulative.Length; i++)
        {
            cumulative[i] = total += _population.Stacks[i].Weight;
        }
        var random = new Random(7);
        _samples = new int[Samples][];
        for (var i = 0; i < Samples; i++)
        {
            var at = Array.BinarySearch(cumulative, random.NextInt64(total) + 1);
            _samples[i] = _population.Stacks[at < 0 ? ~at : at].Frames;
        }
    }

    [Benchmark(Description = "aggregate samples")]
    public StackProfile Aggregate()
    {
        var builder = new StackProfileBuilder(_population.Metadata);
        foreach (var frame in _population.Frames)
        {
            builder.Intern(frame.Name, frame.Kind);
        }
        foreach (var sample in _samples)
        {
            builder.Add(sample, 1);
        }
        return builder.Build();
    }
}

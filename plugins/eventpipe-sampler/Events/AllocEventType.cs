using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.EventPipe.Events;

/// <summary>Options of the <c>alloc</c> event type (<c>events.alloc</c>).</summary>
public sealed class AllocOptions
{
    /// <summary>Put the allocated type (<c>System.Byte[]</c>) under the allocating method as the leaf frame. Default true.</summary>
    public bool IncludeType { get; set; } = true;

    /// <summary>Leave out sampled objects smaller than this many bytes. Default 0 (all).</summary>
    [Range(0, long.MaxValue)]
    public long MinSize { get; set; }

    /// <summary>
    /// Which runtime event to sample with: <c>auto</c> (default: AllocationSampled on .NET 10+, else GCAllocationTick),
    /// <c>sampled</c> (AllocationSampled; .NET 10+) or <c>tick</c> (GCAllocationTick, about one event per 100 KB).
    /// </summary>
    [RegularExpression("auto|sampled|tick", ErrorMessage = "source must be auto, sampled or tick")]
    public string Source { get; set; } = "auto";
}

/// <summary>
/// alloc: bytes allocated, by allocating stack. On .NET 10+ from the runtime's randomized allocation sampling
/// (AllocationSampled: each byte has the same chance, 1 in 102,400, to be sampled, so large and small objects are
/// represented fairly), each sample weighted by its unbiased estimate; before that from GCAllocationTick, which fires
/// after every ~100 KB allocated and is weighted by the bytes since the previous tick.
/// </summary>
internal sealed class AllocEventType : EventPipeEventType
{
    private const long AllocationSamplingKeyword = 0x80000000000;
    private const long GcKeyword = 0x1;
    private const int FirstRuntimeWithAllocationSampled = 10;

    /// <summary>The mean distance, in bytes, between two samples of the runtime's allocation sampler.</summary>
    private const double SamplingMean = 102_400;

    /// <summary>ln(1 - 1/102400): with it, one Exp per event gives the chance of an object going unsampled, where Pow cost several times more.</summary>
    private static readonly double LogOfNotSampled = Math.Log(1 - 1 / SamplingMean);

    /// <summary>Objects of this many bytes or more go to the large object heap.</summary>
    private const long LargeObjectSize = 85_000;

    public override EventTypeInfo Info { get; } = new("alloc", KnownUnits.Bytes,
        "Bytes allocated, by allocating stack (the runtime's allocation sampling)", typeof(AllocOptions))
    {
        FewSamples = new("less than the sampling distance (about 100 KB) was allocated while sampling, or events.alloc.minSize left every sample out",
            "profile longer, while the code that allocates runs, or lower minSize"),
    };

    public override Collection Prepare(SamplingRequest request)
    {
        var options = request.EventOptions<AllocOptions>();
        var sampled = options.Source switch
        {
            "sampled" => true,
            "tick" => false,
            _ => request.Target.RuntimeMajorVersion is null or >= FirstRuntimeWithAllocationSampled,
        };
        if (sampled && request.Target.RuntimeMajorVersion is < FirstRuntimeWithAllocationSampled)
        {
            throw new Core.Options.OptionsException($"events.alloc: source 'sampled' needs .NET {FirstRuntimeWithAllocationSampled}+; the target runs .NET {request.Target.RuntimeVersion}. Use 'auto' or 'tick'.");
        }
        return sampled
            ? new Collection(
                [Runtime(AllocationSamplingKeyword)],
                "~100 KB (randomized)",
                new Dictionary<string, string> { ["source"] = "AllocationSampled" },
                (source, aggregator) =>
                {
                    var leaves = new AllocatedTypeLeaves(aggregator);
                    source.Clr.AllocationSampling += sample =>
                    {
                        var size = (long)sample.ObjectSize;
                        if (size >= options.MinSize)
                        {
                            var leaf = options.IncludeType ? leaves.Of(sample, sample.TypeID, size >= LargeObjectSize, static s => s.TypeName) : StackAggregator.NoLeaf;
                            aggregator.Add(sample, UnbiasedBytes(size), leaf);
                        }
                    };
                })
            : new Collection(
                [Runtime(GcKeyword, EventLevel.Verbose)],
                "~100 KB (GCAllocationTick)",
                new Dictionary<string, string> { ["source"] = "GCAllocationTick" },
                (source, aggregator) =>
                {
                    var leaves = new AllocatedTypeLeaves(aggregator);
                    source.Clr.GCAllocationTick += tick =>
                    {
                        if (tick.ObjectSize >= options.MinSize)
                        {
                            var leaf = options.IncludeType ? leaves.Of(tick, tick.TypeID, tick.AllocationKind == GCAllocationKind.Large, static t => t.TypeName) : StackAggregator.NoLeaf;
                            aggregator.Add(tick, tick.AllocationAmount64, leaf);
                        }
                    };
                });
    }

    /// <summary>
    /// The bytes one sampled object stands for. An object of <paramref name="size"/> bytes is sampled with probability
    /// p = 1 - (1 - 1/102400)^size, so counting it as size/p makes the expected sum equal the bytes really allocated.
    /// </summary>
    internal static double UnbiasedBytes(long size) => size / (1 - Math.Exp(size * LogOfNotSampled));
}

using System.IO.Compression;
using Google.Protobuf;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.Pprof.Proto;
using ValueType = Pluggable.Plugins.Pprof.Proto.ValueType;

namespace Pluggable.Plugins.Pprof;

/// <summary>
/// pprof: the profile as gzipped profile.proto, for go tool pprof, Pyroscope or Grafana. Each frame becomes one
/// function and one location; each stack one sample (locations leaf first), its value the weight in the profile's unit.
/// </summary>
public sealed class PprofRenderer : IRenderer
{
    public RendererInfo Info { get; } = new("pprof", "pb.gz", "application/octet-stream", 1, "pprof (gzipped profile.proto) for go tool pprof, Pyroscope, Grafana");

    public async Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken)
    {
        var profile = ToPprof(request.Profiles[0]);
        await using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        profile.WriteTo(gzip);
        await gzip.FlushAsync(cancellationToken);
    }

    internal static Profile ToPprof(StackProfile source)
    {
        var strings = new Dictionary<string, long>();
        var profile = new Profile();
        long String(string text)
        {
            if (!strings.TryGetValue(text, out var index))
            {
                index = profile.StringTable.Count;
                strings[text] = index;
                profile.StringTable.Add(text);
            }
            return index;
        }
        String("");

        var (type, unit) = source.Metadata.Unit switch
        {
            KnownUnits.Bytes => ("alloc_space", "bytes"),
            KnownUnits.Nanoseconds => (source.Metadata.Event, "nanoseconds"),
            _ => ("samples", "count"),
        };
        profile.SampleType.Add(new ValueType { Type = String(type), Unit = String(unit) });
        profile.PeriodType = new ValueType { Type = String(type), Unit = String(unit) };
        if (source.Metadata.Start is { } start)
        {
            profile.TimeNanos = (start - DateTimeOffset.UnixEpoch).Ticks * 100;
        }
        if (source.Metadata.Duration is { } duration)
        {
            profile.DurationNanos = duration.Ticks * 100;
        }
        profile.Comment.Add(String($"{source.Metadata.Event} profile by Pluggable" + (source.Metadata.TargetName is { } name ? $" of {name} (pid {source.Metadata.TargetPid})" : "")));

        for (var i = 0; i < source.Frames.Count; i++)
        {
            var id = (ulong)i + 1;
            var frame = source.Frames[i];
            profile.Function.Add(new Function { Id = id, Name = String(frame.Name), SystemName = String(frame.Name), Filename = String(frame.Kind.ToString().ToLowerInvariant()) });
            profile.Location.Add(new Location { Id = id, Line = { new Line { FunctionId = id } } });
        }
        foreach (var stack in source.Stacks)
        {
            var sample = new Sample { Value = { stack.Weight } };
            for (var i = stack.Frames.Length - 1; i >= 0; i--)
            {
                sample.LocationId.Add((ulong)stack.Frames[i] + 1);
            }
            profile.Sample.Add(sample);
        }
        return profile;
    }
}

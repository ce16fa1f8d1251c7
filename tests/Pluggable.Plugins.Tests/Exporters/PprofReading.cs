using System.IO.Compression;
using Pluggable.Plugins.Pprof.Proto;

namespace Pluggable.Plugins.Tests.Exporters;

/// <summary>A pprof file read back by protobuf, as go tool pprof reads it: its stacks in folded form, root first.</summary>
internal static class PprofReading
{
    public static Profile Parse(byte[] gzipped)
    {
        using var gzip = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress);
        return Profile.Parser.ParseFrom(gzip);
    }

    public static Dictionary<string, long> Stacks(Profile pprof)
    {
        var functions = pprof.Function.ToDictionary(f => f.Id, f => pprof.StringTable[(int)f.Name]);
        var locations = pprof.Location.ToDictionary(l => l.Id, l => functions[l.Line.Single().FunctionId]);
        return pprof.Sample.ToDictionary(s => string.Join(";", s.LocationId.Reverse().Select(id => locations[id])), s => s.Value.Single());
    }
}

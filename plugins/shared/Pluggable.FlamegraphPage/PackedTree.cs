using System.Buffers;
using Newtonsoft.Json;
using Pluggable.Core.Profiles;

namespace Pluggable.FlamegraphPage;

/// <summary>
/// A call tree as the page reads it: <c>{frames, kinds, count, f, d, s}</c>. <c>frames</c> and <c>kinds</c> name each
/// frame id once; <c>count</c> nodes follow in depth-first order, root excluded. <c>f</c>, <c>d</c> and each entry of
/// <c>s</c> are base64 strings of unsigned LEB128 varints: <c>f</c> the frame id of each node; <c>d</c> how far each
/// node climbs from the one before (its depth is the previous depth + 1 − this, which depth-first order keeps at 0 or
/// more); <c>s</c>, per profile side, the nodes with self weight as pairs (nodes skipped since the previous one, weight).
/// </summary>
public static class PackedTree
{
    public static void Write(JsonWriter json, CallTree tree)
    {
        json.WriteStartObject();
        json.WritePropertyName("frames");
        json.WriteStartArray();
        foreach (var frame in tree.Frames)
        {
            json.WriteValue(frame.Name);
        }
        json.WriteEndArray();
        json.WritePropertyName("kinds");
        json.WriteStartArray();
        foreach (var frame in tree.Frames)
        {
            json.WriteValue((int)frame.Kind);
        }
        json.WriteEndArray();

        // Node 0 is the root; the rest are already in depth-first order.
        var count = tree.Count - 1;
        json.WritePropertyName("count");
        json.WriteValue(count);
        var frames = new Varints();
        var climbs = new Varints();
        var previousDepth = -1;
        for (var node = 1; node <= count; node++)
        {
            frames.Add(tree.FrameOf(node));
            climbs.Add(previousDepth + 1 - tree.DepthOf(node));
            previousDepth = tree.DepthOf(node);
        }
        json.WritePropertyName("f");
        json.WriteValue(frames.ToBase64());
        json.WritePropertyName("d");
        json.WriteValue(climbs.ToBase64());
        json.WritePropertyName("s");
        json.WriteStartArray();
        for (var side = 0; side < tree.Sides; side++)
        {
            var self = new Varints();
            var previous = 0;
            for (var node = 1; node <= count; node++)
            {
                if (tree.SelfOf(node, side) is var weight and > 0)
                {
                    self.Add(node - previous - 1);
                    self.Add(weight);
                    previous = node;
                }
            }
            json.WriteValue(self.ToBase64());
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private sealed class Varints
    {
        private readonly ArrayBufferWriter<byte> _bytes = new();

        public void Add(long value)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            var span = _bytes.GetSpan(10);
            var length = 0;
            var rest = (ulong)value;
            while (rest >= 0x80)
            {
                span[length++] = (byte)(rest | 0x80);
                rest >>= 7;
            }
            span[length++] = (byte)rest;
            _bytes.Advance(length);
        }

        public string ToBase64() => Convert.ToBase64String(_bytes.WrittenSpan);
    }
}

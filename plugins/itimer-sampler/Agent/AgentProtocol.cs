using System.Buffers.Binary;
using System.Text;

namespace Pluggable.Plugins.Itimer.Agent;

/// <summary>
/// How the itimer plugin and its agent talk, compiled into both. The plugin writes <see cref="StartCommand"/> and then
/// <see cref="StopCommand"/> as lines on the agent's standard input; the agent answers on its standard output with
/// binary messages, each a kind byte and a payload length (int32) followed by the payload, little-endian. A sample is
/// its thread, its weight and its frames as raw addresses: nothing is formatted or parsed per sample on either side.
/// </summary>
internal static class AgentProtocol
{
    public const string StartCommand = "start";
    public const string StopCommand = "stop";

    public const int HeaderSize = 5;

    /// <summary>Sample: thread id (int32), weight in nanoseconds (int64), then the frames, leaf first (uint64 each).</summary>
    private const int SampleFixedSize = 12;

    /// <summary>Report: ticks, ticks missed, samples taken and threads found not running (int64 each), then the walk statistics (UTF-8).</summary>
    private const int ReportFixedSize = 32;

    public enum MessageKind : byte
    {
        /// <summary>The agent has seized the target's threads and is sampling.</summary>
        Ready = (byte)'r',
        Sample = (byte)'s',
        /// <summary>The last message, after the agent has let the threads go.</summary>
        Report = (byte)'i',
    }

    /// <summary>What the agent says when it stops.</summary>
    /// <param name="Ticks">Ticks of the timer the agent acted on.</param>
    /// <param name="MissedTicks">Ticks it did not act on, because it fell behind (the machine was busy).</param>
    /// <param name="Samples">Stacks it took.</param>
    /// <param name="NotRunning">Threads in state R at a tick that were found waiting for a CPU, not running, and so not sampled.</param>
    /// <param name="Walks">The stack walks' ends, as <c>WalkStatistics.Encode</c> writes them.</param>
    public sealed record Report(long Ticks, long MissedTicks, long Samples, long NotRunning, string Walks);

    public static int SampleSize(int frames) => HeaderSize + SampleFixedSize + (frames * sizeof(ulong));

    public static void WriteReady(Stream output) => WriteHeader(output, MessageKind.Ready, 0);

    /// <summary>Writes one sample into <paramref name="buffer"/> (at least <see cref="SampleSize"/> bytes) and returns its length.</summary>
    public static int EncodeSample(Span<byte> buffer, int tid, long weight, ReadOnlySpan<ulong> frames)
    {
        var payload = SampleFixedSize + (frames.Length * sizeof(ulong));
        buffer[0] = (byte)MessageKind.Sample;
        BinaryPrimitives.WriteInt32LittleEndian(buffer[1..], payload);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[HeaderSize..], tid);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[(HeaderSize + 4)..], weight);
        var at = HeaderSize + SampleFixedSize;
        foreach (var frame in frames)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[at..], frame);
            at += sizeof(ulong);
        }
        return at;
    }

    public static void WriteReport(Stream output, Report report)
    {
        var walks = Encoding.UTF8.GetBytes(report.Walks);
        WriteHeader(output, MessageKind.Report, ReportFixedSize + walks.Length);
        Span<byte> counts = stackalloc byte[ReportFixedSize];
        BinaryPrimitives.WriteInt64LittleEndian(counts, report.Ticks);
        BinaryPrimitives.WriteInt64LittleEndian(counts[8..], report.MissedTicks);
        BinaryPrimitives.WriteInt64LittleEndian(counts[16..], report.Samples);
        BinaryPrimitives.WriteInt64LittleEndian(counts[24..], report.NotRunning);
        output.Write(counts);
        output.Write(walks);
    }

    /// <summary>Reads one message's kind and payload length from its header.</summary>
    public static (MessageKind Kind, int Length) DecodeHeader(ReadOnlySpan<byte> header) =>
        ((MessageKind)header[0], BinaryPrimitives.ReadInt32LittleEndian(header[1..]));

    /// <summary>Reads a sample's payload; its frames go into <paramref name="frames"/>, which must hold <see cref="FrameCount"/> of them.</summary>
    public static (int Tid, long Weight) DecodeSample(ReadOnlySpan<byte> payload, Span<ulong> frames)
    {
        var at = SampleFixedSize;
        for (var i = 0; i < frames.Length; i++, at += sizeof(ulong))
        {
            frames[i] = BinaryPrimitives.ReadUInt64LittleEndian(payload[at..]);
        }
        return (BinaryPrimitives.ReadInt32LittleEndian(payload), BinaryPrimitives.ReadInt64LittleEndian(payload[4..]));
    }

    public static int FrameCount(int payloadLength) => (payloadLength - SampleFixedSize) / sizeof(ulong);

    public static Report DecodeReport(ReadOnlySpan<byte> payload) => new(
        BinaryPrimitives.ReadInt64LittleEndian(payload),
        BinaryPrimitives.ReadInt64LittleEndian(payload[8..]),
        BinaryPrimitives.ReadInt64LittleEndian(payload[16..]),
        BinaryPrimitives.ReadInt64LittleEndian(payload[24..]),
        Encoding.UTF8.GetString(payload[ReportFixedSize..]));

    private static void WriteHeader(Stream output, MessageKind kind, int length)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        header[0] = (byte)kind;
        BinaryPrimitives.WriteInt32LittleEndian(header[1..], length);
        output.Write(header);
    }
}

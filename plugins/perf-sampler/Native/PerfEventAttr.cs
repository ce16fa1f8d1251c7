using System.Runtime.InteropServices;

namespace Pluggable.Plugins.Perf.Native;

/// <summary>
/// <c>struct perf_event_attr</c> as of PERF_ATTR_SIZE_VER7 (128 bytes); the kernel accepts a smaller size than its own
/// as long as the fields it knows and we do not are zero. Offsets checked against &lt;linux/perf_event.h&gt;.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PerfEventAttr
{
    public const uint CurrentSize = 128;

    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Size;
    [FieldOffset(8)] public ulong Config;
    /// <summary>sample_period, or sample_freq when <see cref="PerfFlags.Freq"/> is set.</summary>
    [FieldOffset(16)] public ulong SamplePeriodOrFrequency;
    [FieldOffset(24)] public ulong SampleType;
    [FieldOffset(32)] public ulong ReadFormat;
    /// <summary>The bitfield word: <see cref="PerfFlags"/>.</summary>
    [FieldOffset(40)] public ulong Flags;
    [FieldOffset(48)] public uint WakeupEventsOrWatermark;
    /// <summary>Which user registers each sample carries (bit = x86 perf register number).</summary>
    [FieldOffset(80)] public ulong SampleRegsUser;
    /// <summary>How many bytes of the user stack, from the stack pointer, each sample carries.</summary>
    [FieldOffset(88)] public uint SampleStackUser;
    [FieldOffset(108)] public ushort SampleMaxStack;
}

internal static class PerfType
{
    public const uint Hardware = 0;
    public const uint Software = 1;
}

internal static class PerfConfig
{
    public const ulong HardwareCpuCycles = 0;
    public const ulong SoftwareCpuClock = 0;
}

internal static class PerfSample
{
    public const ulong Ip = 1 << 0;
    public const ulong Tid = 1 << 1;
    public const ulong Time = 1 << 2;
    public const ulong Callchain = 1 << 5;
    public const ulong Cpu = 1 << 7;
    public const ulong RegsUser = 1 << 12;
    public const ulong StackUser = 1 << 13;
}

/// <summary>x86-64 perf register numbers, as bits of <see cref="PerfEventAttr.SampleRegsUser"/>; a sample lists the chosen ones in this order.</summary>
internal static class PerfRegister
{
    public const int Bp = 6;
    public const int Sp = 7;
    public const int Ip = 8;
}

[Flags]
internal enum PerfFlags : ulong
{
    Disabled = 1UL << 0,
    ExcludeKernel = 1UL << 5,
    ExcludeHv = 1UL << 6,
    Freq = 1UL << 10,
    SampleIdAll = 1UL << 18,
    ExcludeCallchainKernel = 1UL << 21,
}

internal static class PerfRecord
{
    public const uint Lost = 2;
    public const uint Sample = 9;

    /// <summary>Callchain entries at or above this are context markers (PERF_CONTEXT_KERNEL, _USER, ...), not addresses.</summary>
    public const ulong ContextMax = unchecked((ulong)-4095);

    /// <summary>PERF_CONTEXT_USER: the entries after it are the user part of the callchain, found by the kernel from frame pointers.</summary>
    public const ulong ContextUser = unchecked((ulong)-512);
}

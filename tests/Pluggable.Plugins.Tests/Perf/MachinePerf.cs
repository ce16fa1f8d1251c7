using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Pluggable.Plugins.Tests.Perf;

/// <summary>
/// What this machine lets this test process do with perf events, found out by asking the kernel directly (not
/// through the plugin under test), so a test expects what the machine offers: a VM without a PMU has no cycles
/// counter, a non-root user at perf_event_paranoid 2 gets no per-CPU events.
/// </summary>
internal static partial class MachinePerf
{
    private const long SysPerfEventOpen = 298;
    private const uint HardwareType = 0;
    private const uint SoftwareType = 1;
    private const ulong CyclesOrCpuClock = 0;

    public static bool HasCyclesCounter { get; } = CanOpen(HardwareType, pid: 0, cpu: -1);

    public static bool AllowsPerCpuEvents { get; } = CanOpen(HasCyclesCounter ? HardwareType : SoftwareType, pid: -1, cpu: 0);

    /// <summary>Opens (and closes) a disabled, user-only counting event of the type's first config.</summary>
    private static unsafe bool CanOpen(uint type, int pid, int cpu)
    {
        var attr = stackalloc byte[128];
        new Span<byte>(attr, 128).Clear();
        var fields = new Span<byte>(attr, 128);
        BinaryPrimitives.WriteUInt32LittleEndian(fields, type);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[4..], 128);
        BinaryPrimitives.WriteUInt64LittleEndian(fields[8..], CyclesOrCpuClock);
        BinaryPrimitives.WriteUInt64LittleEndian(fields[40..], (1UL << 0) | (1UL << 5) | (1UL << 6)); // disabled, exclude_kernel, exclude_hv
        var fd = syscall(SysPerfEventOpen, attr, pid, cpu, -1, 0);
        if (fd < 0)
        {
            return false;
        }
        close((int)fd);
        return true;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial long syscall(long number, byte* attr, int pid, int cpu, int groupFd, ulong flags);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}

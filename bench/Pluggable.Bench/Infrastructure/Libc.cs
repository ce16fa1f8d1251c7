using System.Runtime.InteropServices;

namespace Pluggable.Bench.Infrastructure;

/// <summary>The two libc calls the harness needs: a SIGINT to stop dotnet-trace and perf as Ctrl+C would, and the clock tick of /proc times.</summary>
internal static partial class Libc
{
    public const int SigInt = 2;
    public const int SigTerm = 15;
    private const int ScClkTck = 2;

    /// <summary>Sends <paramref name="signal"/>; false when the process is gone.</summary>
    public static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>Clock ticks per second, the unit of utime and stime in /proc/&lt;pid&gt;/stat.</summary>
    public static long ClockTicksPerSecond { get; } = SysConf(ScClkTck);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}

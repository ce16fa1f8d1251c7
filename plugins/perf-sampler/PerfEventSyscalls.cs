using System.Runtime.InteropServices;
using Pluggable.Plugins.Perf.Native;

namespace Pluggable.Plugins.Perf;

/// <summary>The perf_event_open call, behind a seam so that tests can make the kernel refuse in each of the ways it does.</summary>
internal interface IPerfEventSyscalls
{
    /// <summary>Opens an event; returns the file descriptor, or minus the errno.</summary>
    int Open(in PerfEventAttr attr, int pid, int cpu);
}

internal sealed unsafe class LinuxPerfEventSyscalls : IPerfEventSyscalls
{
    public static readonly LinuxPerfEventSyscalls Instance = new();

    public int Open(in PerfEventAttr attr, int pid, int cpu)
    {
        fixed (PerfEventAttr* pointer = &attr)
        {
            var result = Libc.syscall(Libc.SysPerfEventOpen, pointer, pid, cpu, -1, Libc.PerfFlagFdCloexec);
            return result < 0 ? -Marshal.GetLastPInvokeError() : (int)result;
        }
    }
}

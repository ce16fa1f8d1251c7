using System.Runtime.InteropServices;

namespace Pluggable.Plugins.Itimer.Agent;

internal static unsafe partial class Native
{
    public const long PtraceGetRegs = 12;
    public const long PtraceCont = 7;
    public const long PtraceDetach = 17;
    public const long PtraceSeize = 0x4206;
    public const long PtraceInterrupt = 0x4207;
    public const long PtraceListen = 0x4208;
    public const int PtraceEventStop = 128;

    public const int WaitNoHang = 1;
    public const int WaitStopped = 2;
    public const int WaitExited = 4;
    public const int WaitNoWait = 0x01000000;
    public const int WaitAll = 0x40000000;
    public const int IdTypeAll = 0;
    public const int SigInfoSize = 128;

    public const int EventFdNonBlocking = 0x800;
    public const int EventFdCloseOnExec = 0x80000;
    public const short PollIn = 1;

    public const int SigStop = 19;
    public const int SigTstp = 20;
    public const int SigTtin = 21;
    public const int SigTtou = 22;

    public const int ESRCH = 3;
    public const int EINTR = 4;

    /// <summary>Offsets in x86-64 <c>struct user_regs_struct</c> (27 registers of 8 bytes).</summary>
    public const int RegsSize = 27 * 8;
    public const int RbpOffset = 32;
    public const int OrigRaxOffset = 120;
    public const int RipOffset = 128;
    public const int RspOffset = 152;

    /// <summary>
    /// System calls a thread waits in (futex, epoll, poll and select, sleeps, waits for children or signals), by their
    /// x86-64 numbers: a thread stopped on its way back from one was waiting for the CPU after a wake-up, not running.
    /// </summary>
    public static readonly HashSet<long> WaitingSystemCalls = [202, 232, 281, 441, 7, 271, 23, 270, 35, 230, 61, 247, 130, 128, 34];

    [LibraryImport("libc", SetLastError = true)]
    public static partial long ptrace(long request, int pid, nint address, nint data);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int waitid(int idType, int id, byte* info, int options);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initial, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ppoll(PollFd* fds, nuint count, TimeSpec* timeout, void* signalMask);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport("libc")]
    public static partial int sched_getcpu();

    public static int Errno => Marshal.GetLastPInvokeError();

    public static bool IsStopped(int status) => (status & 0xff) == 0x7f;

    public static int StopSignal(int status) => (status >> 8) & 0xff;

    public static int StopEvent(int status) => (status >> 16) & 0xff;

    public static bool IsGone(int status) => !IsStopped(status) && (status & 0x7f) != 0x7f;

    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    public readonly struct TimeSpec(TimeSpan span)
    {
        public readonly long Seconds = span.Ticks / TimeSpan.TicksPerSecond;
        public readonly long Nanoseconds = span.Ticks % TimeSpan.TicksPerSecond * 100;
    }
}

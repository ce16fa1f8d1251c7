using System.Runtime.InteropServices;

namespace Pluggable.Plugins.Perf.Native;

internal static unsafe partial class Libc
{
    public const long SysPerfEventOpen = 298;
    public const ulong PerfFlagFdCloexec = 8;
    public const ulong PerfEventIocEnable = 0x2400;
    public const ulong PerfEventIocDisable = 0x2401;
    public const ulong PerfEventIocSetOutput = 0x2405;
    public const int ProtRead = 1;
    public const int ProtWrite = 2;
    public const int MapShared = 1;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EACCES = 13;
    public const int ENODEV = 19;
    public const int ENOSYS = 38;
    public const int EOPNOTSUPP = 95;

    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, PerfEventAttr* attr, int pid, int cpu, int groupFd, ulong flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, ulong argument);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(nint address, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);
}

using System.Runtime.InteropServices;

namespace Pluggable.Plugins.Itimer;

internal static partial class Native
{
    /// <summary>prctl option that names the one process allowed to ptrace this one under Yama scope 1.</summary>
    public const int PrSetPtracer = 0x59616d61;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int prctl(int option, nuint argument2, nuint argument3, nuint argument4, nuint argument5);
}

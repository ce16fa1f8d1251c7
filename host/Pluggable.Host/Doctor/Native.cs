using System.Runtime.InteropServices;

namespace Pluggable.Host.Doctor;

internal static partial class Native
{
    [LibraryImport("libc")]
    public static partial uint geteuid();
}

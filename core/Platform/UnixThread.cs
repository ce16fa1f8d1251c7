using System.Runtime.InteropServices;

namespace Pluggable.Core.Platform;

/// <summary>The calling thread as the kernel knows it.</summary>
public static partial class UnixThread
{
    /// <summary>
    /// The calling thread's kernel id (what /proc/&lt;pid&gt;/task lists and samples name): a sampler's own reading
    /// thread, which must not be sampled, is known by it.
    /// </summary>
    public static int CurrentId => GetThreadId();

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}

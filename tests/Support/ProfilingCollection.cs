namespace Pluggable.Testing;

/// <summary>
/// The xunit collection of tests that profile a workload: they run one at a time, because several sessions on one
/// process would see each other's allocations and threads, and on two cores they would steal each other's CPU.
/// Each test assembly declares it (xunit finds definitions only in the test assembly): see ProfilingCollectionDefinition,
/// with <see cref="MachineWideProfilingLock"/> as its fixture.
/// </summary>
public static class ProfilingCollection
{
    public const string Name = "profiling";
}

/// <summary>
/// Held while one test assembly's profiling collection runs: <c>dotnet test Pluggable.sln</c> runs the test assemblies
/// at once, and two assemblies' profiling tests would steal each other's CPU as two of one assembly's would. A file lock
/// in /tmp, which the kernel releases when its holder exits, however it exits.
/// </summary>
public sealed class MachineWideProfilingLock : IDisposable
{
    private static readonly string LockFile = Path.Combine(Path.GetTempPath(), "pluggable-profiling-tests.lock");
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(15);
    private readonly FileStream _held;

    public MachineWideProfilingLock()
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Linux: a second opener, in any process, is refused until it goes.
                _held = new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    public void Dispose() => _held.Dispose();
}

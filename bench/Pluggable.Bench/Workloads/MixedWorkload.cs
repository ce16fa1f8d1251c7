using System.Runtime.CompilerServices;
using Pluggable.Fixtures;

namespace Pluggable.Bench.Workloads;

/// <summary>
/// Every kind of work at once, as a service does it: each iteration computes (the fixture's 70/30 methods, a tenth of
/// the fixture's cpu iteration), allocates (the fixture's small buffers, and its large ones every fourth time), takes a
/// briefly held shared lock, and every 32nd iteration throws and catches an exception.
/// </summary>
public sealed class MixedWorkload : IDisposable
{
    public const string Name = "mixed";

    private static readonly Lock Shared = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _threads;
    private static double _sink;

    private MixedWorkload(int threads)
    {
        _threads = Enumerable.Range(0, threads).Select(i => new Thread(Run) { IsBackground = true, Name = $"mixed-{i}" }).ToArray();
    }

    public Counters Counters { get; } = new();

    public static MixedWorkload Start(int threads)
    {
        var workload = new MixedWorkload(threads);
        foreach (var thread in workload._threads)
        {
            thread.Start();
        }
        return workload;
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        _stop.Dispose();
    }

    private void Run()
    {
        for (var iteration = 0L; !_stop.IsCancellationRequested; iteration++)
        {
            _sink += CpuWorkload.HotMethod(7_000) + CpuWorkload.ColdMethod(3_000);
            AllocWorkload.AllocateSmallBuffers();
            if (iteration % 4 == 0)
            {
                AllocWorkload.AllocateLargeBuffers();
            }
            UpdateSharedState();
            if (iteration % 32 == 0)
            {
                try
                {
                    ExceptionWorkload.ThrowInKnownMethod();
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref Counters.Exceptions);
                }
            }
            Interlocked.Increment(ref Counters.Iterations);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void UpdateSharedState()
    {
        lock (Shared)
        {
            Thread.SpinWait(50);
        }
    }
}

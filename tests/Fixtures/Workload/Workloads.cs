using System.Runtime.CompilerServices;

namespace Pluggable.Fixtures;

/// <summary>
/// Workloads whose profile is known in advance. Each runs on its own threads until disposed and counts what it did,
/// so a test can compare a profile with the truth. Methods that a test looks for are never inlined.
/// </summary>
public static class Workloads
{
    public static IReadOnlyList<string> Names { get; } = ["alloc", "cpu", "lock", "wall", "exceptions", "frameless", "mixed", "idle"];

    /// <summary>Starts a workload by name with <paramref name="threads"/> busy threads.</summary>
    public static RunningWorkload Start(string name, int threads = 1) => name switch
    {
        "alloc" => RunningWorkload.Start(threads, AllocWorkload.Iterate),
        "cpu" => RunningWorkload.Start(threads, CpuWorkload.Iterate),
        "lock" => RunningWorkload.Start(Math.Max(threads, 2), LockWorkload.Iterate),
        "wall" => RunningWorkload.Start(threads, WallWorkload.Iterate),
        "exceptions" => RunningWorkload.Start(threads, ExceptionWorkload.Iterate),
        "frameless" => RunningWorkload.Start(threads, FramelessWorkload.Iterate),
        "mixed" => RunningWorkload.Start(threads, MixedWorkload.Iterate),
        "idle" => RunningWorkload.Start(0, _ => { }),
        _ => throw new ArgumentException($"unknown workload '{name}'; known: {string.Join(", ", Names)}"),
    };
}

/// <summary>Threads running one workload, and the counters it keeps.</summary>
public sealed class RunningWorkload : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _threads;

    private RunningWorkload(int threads, Action<Counters> iterate)
    {
        _threads = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                iterate(Counters);
                Interlocked.Increment(ref Counters.Iterations);
            }
        }) { IsBackground = true, Name = $"workload-{i}" }).ToArray();
    }

    public Counters Counters { get; } = new();

    internal static RunningWorkload Start(int threads, Action<Counters> iterate)
    {
        var workload = new RunningWorkload(threads, iterate);
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
    }
}

/// <summary>What a workload has done so far. Fields, so they can be updated with Interlocked.</summary>
public sealed class Counters
{
    public long Iterations;
    public long LargeBytes;
    public long SmallBytes;
    public long WaitedNanoseconds;
    public long Exceptions;

    public string Line() => $"iterations={Interlocked.Read(ref Iterations)} large={Interlocked.Read(ref LargeBytes)} small={Interlocked.Read(ref SmallBytes)} waited={Interlocked.Read(ref WaitedNanoseconds)} exceptions={Interlocked.Read(ref Exceptions)}";
}

/// <summary>About 90% of the bytes in 8 KB arrays (<see cref="AllocateLargeBuffers"/>), 10% in small ones (<see cref="AllocateSmallBuffers"/>).</summary>
public static class AllocWorkload
{
    /// <summary>A .NET array's header on 64-bit: method table, sync block, length.</summary>
    public const int ArrayOverhead = 24;
    public const int LargeSize = 8192;
    public const int LargePerIteration = 9;
    public const int SmallSize = 64;
    public const int SmallPerIteration = 96;

    private static readonly object?[] Sink = new object?[256];

    public static void Iterate(Counters counters)
    {
        AllocateLargeBuffers();
        AllocateSmallBuffers();
        Interlocked.Add(ref counters.LargeBytes, LargePerIteration * (LargeSize + ArrayOverhead));
        Interlocked.Add(ref counters.SmallBytes, SmallPerIteration * (SmallSize + ArrayOverhead));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AllocateLargeBuffers()
    {
        for (var i = 0; i < LargePerIteration; i++)
        {
            Sink[i] = new byte[LargeSize];
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void AllocateSmallBuffers()
    {
        for (var i = 0; i < SmallPerIteration; i++)
        {
            Sink[16 + i] = new byte[SmallSize];
        }
    }
}

/// <summary>About 70% of the CPU in <see cref="HotMethod"/> and 30% in <see cref="ColdMethod"/>, in a tight loop.</summary>
public static class CpuWorkload
{
    private static double _sink;

    public static void Iterate(Counters counters)
    {
        _sink += HotMethod(70_000) + ColdMethod(30_000);
    }

    // Both compiled optimized at once: under tiering the split depends on when each reaches tier 1 (and its loop's OSR
    // code runs), which a busy machine delays by seconds, so a profile taken soon after the start would not be 70/30.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static double HotMethod(int rounds) => Spin(rounds, 1.0000001);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static double ColdMethod(int rounds) => Spin(rounds, 0.9999999);

    // Inlined into each caller on purpose, so the CPU lands in HotMethod and ColdMethod themselves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Spin(int rounds, double factor)
    {
        var x = 1.0;
        for (var i = 0; i < rounds; i++)
        {
            x = x * factor + 1e-9;
        }
        return x;
    }
}

/// <summary>
/// Every kind of work at once, as a service does it: each iteration computes (the cpu workload's 70/30 methods, a tenth
/// of its iteration), allocates (the alloc workload's small buffers, and its large ones every fourth time), takes a
/// briefly held shared lock, and every 32nd iteration throws and catches an exception.
/// </summary>
public static class MixedWorkload
{
    private static readonly Lock Shared = new();
    private static double _sink;

    [ThreadStatic]
    private static long _iteration;

    public static void Iterate(Counters counters)
    {
        var iteration = _iteration++;
        _sink += CpuWorkload.HotMethod(7_000) + CpuWorkload.ColdMethod(3_000);
        AllocWorkload.AllocateSmallBuffers();
        if (iteration % 4 == 0)
        {
            AllocWorkload.AllocateLargeBuffers();
        }
        UpdateSharedState();
        if (iteration % 32 == 0)
        {
            ExceptionWorkload.ThrowAndCatch(counters);
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

/// <summary>Threads that take turns on one lock, each holding it for about a millisecond, inside <see cref="ContendOnSharedLock"/>.</summary>
public static class LockWorkload
{
    private static readonly object Shared = new();

    public static void Iterate(Counters counters) => ContendOnSharedLock(counters);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ContendOnSharedLock(Counters counters)
    {
        var waiting = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (Shared)
        {
            Interlocked.Add(ref counters.WaitedNanoseconds, (long)System.Diagnostics.Stopwatch.GetElapsedTime(waiting).TotalNanoseconds);
            var until = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 1000;
            while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(10);
            }
        }
    }
}

/// <summary>A thread that sleeps in <see cref="SleepInKnownMethod"/> most of the time and computes in <see cref="ComputeBriefly"/> a little.</summary>
public static class WallWorkload
{
    public static void Iterate(Counters counters)
    {
        SleepInKnownMethod();
        ComputeBriefly();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SleepInKnownMethod() => Thread.Sleep(20);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double ComputeBriefly()
    {
        var until = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 200;
        var x = 0.0;
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            x += Math.Sqrt(x + 1);
        }
        return x;
    }
}

/// <summary>Throws and catches an <see cref="InvalidOperationException"/> from <see cref="ThrowInKnownMethod"/>.</summary>
public static class ExceptionWorkload
{
    public static void Iterate(Counters counters)
    {
        ThrowAndCatch(counters);
        Thread.Sleep(1);
    }

    public static void ThrowAndCatch(Counters counters)
    {
        try
        {
            ThrowInKnownMethod();
        }
        catch (InvalidOperationException)
        {
            Interlocked.Increment(ref counters.Exceptions);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowInKnownMethod() => throw new InvalidOperationException("fixture exception");
}

/// <summary>
/// CPU spent in <see cref="Leaf"/>, called through <see cref="Wrapper"/>, a small optimized method that keeps no frame
/// pointer (it only calls and adds), from <see cref="Caller"/>, which keeps one. A frame-pointer walk alone loses
/// Caller: Wrapper leaves rbp to Caller, so the walk steps from Leaf's frame straight to Caller's caller.
/// </summary>
public static class FramelessWorkload
{
    private static double _sink;

    public static void Iterate(Counters counters) => _sink += Caller(64);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static double Caller(int scratch)
    {
        // A variable-size stackalloc makes the JIT keep a frame pointer here.
        Span<byte> buffer = stackalloc byte[scratch];
        buffer[0] = 1;
        return Wrapper(100_000) + buffer[0];
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static double Wrapper(int rounds) => Leaf(rounds) * 0.5;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static double Leaf(int rounds)
    {
        var x = 1.0;
        for (var i = 0; i < rounds; i++)
        {
            x = x * 1.0000001 + 1e-9;
        }
        return x;
    }
}

using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Core.Platform;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.Perf.Native;
using Pluggable.Symbolization;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Perf;

/// <summary>
/// One cpu session: perf events opened per CPU (or per thread), their rings drained by a reader thread every few
/// milliseconds; each sample's kernel frames come from the kernel, its user frames from walking the copy of its stack
/// (frame pointers, and the prologues of jitted methods that keep none). Stacks are summed as raw addresses and named
/// at the stop, when the perf map and the rundown describe all the managed code.
/// </summary>
internal sealed class PerfSamplingSession : ISamplingSession
{
    private static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ThreadScanInterval = TimeSpan.FromMilliseconds(100);
    private const int MaxUserFrames = 512;

    // 512 KB a CPU: what perf_event_mlock_kb lets any user lock for perf rings without counting against RLIMIT_MEMLOCK,
    // and room for 16 samples of 32 KB of stack between two drains.
    private const int RingDataPagesLog2 = 7;

    private readonly SamplingRequest _request;
    private readonly PerfPlan _plan;
    private readonly IPerfEventSyscalls _syscalls;
    private readonly PerfEventAttr _attributes;
    private readonly ulong _frequency;
    private readonly Regex? _threadFilter;
    private readonly NativeStackCollector _stacks;
    /// <summary>One ring per CPU, in both modes.</summary>
    private readonly Dictionary<int, PerfRing> _rings = [];
    private readonly List<int> _cpus = [];

    /// <summary>Per-thread mode: each thread's events, one per CPU, that write into that CPU's ring (its own ring's event not among them).</summary>
    private readonly Dictionary<int, List<int>> _threadEvents = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _reader;
    private readonly Dictionary<int, bool> _threadAllowed = [];
    private readonly ProcessCode _code;
    private readonly StackWindow _stackWindow;
    private readonly StackUnwinder _unwinder;
    private readonly CallchainContinuation _continuation;
    private readonly WalkStatistics _walks = new();
    private ulong[] _chain = new ulong[512];
    private volatile bool _targetExited;
    private int _readerThreadId;
    private Exception? _readerError;

    private PerfSamplingSession(SamplingRequest request, PerfPlan plan, IPerfEventSyscalls syscalls, CpuOptions options)
    {
        _request = request;
        _plan = plan;
        _syscalls = syscalls;
        _frequency = request.Options.Interval is { } interval ? (ulong)Math.Clamp(Math.Round(1 / interval.TotalSeconds), 1, 10_000) : 100;
        _attributes = PerfPlanner.Attributes(plan.HardwareCycles, plan.Kernel, _frequency);
        _threadFilter = options.ThreadFilter is { } filter ? new Regex(filter) : null;
        _stacks = new NativeStackCollector(request);
        var memory = new ProcessMemory(request.Target.Pid);
        _code = new ProcessCode(request.Target.Pid, memory);
        // The sample's copy is all there is of its stack: the thread has run on since.
        _stackWindow = new StackWindow(memory, (int)PerfPlanner.StackBytes, readPastWindow: false);
        _unwinder = new StackUnwinder(_code, _stackWindow);
        _continuation = new CallchainContinuation(_code);
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "pluggable-perf-reader" };
    }

    public static PerfSamplingSession Start(SamplingRequest request, PerfPlan plan, IPerfEventSyscalls syscalls, CpuOptions options)
    {
        var session = new PerfSamplingSession(request, plan, syscalls, options);
        try
        {
            session.OpenEvents();
        }
        catch
        {
            // No session is returned to dispose: what it set up is undone here, the target's perf map turned back off.
            session.CloseRings();
            session._stacks.Abandon();
            session._code.Dispose();
            throw;
        }
        session._reader.Start();
        request.Logger.LogInformation("cpu on pid {Pid}: {Rings} perf events ({Mode}, {Clock}, {Frequency} Hz, kernel {Kernel})",
            request.Target.Pid, session._rings.Count, plan.Notes["mode"], plan.Notes["clock"], session._frequency, plan.Kernel ? "on" : "off");
        return session;
    }

    public async Task<StackProfile> StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        _reader.Join();
        var end = DateTimeOffset.UtcNow;
        foreach (var ring in _rings.Values)
        {
            ring.Drain(OnSample);
        }
        var lost = _rings.Values.Sum(r => r.LostSamples);
        CloseRings();
        if (_readerError is not null)
        {
            _request.Logger.LogError(_readerError, "Reading the perf rings failed; keeping the samples read until then");
        }

        var clock = Stopwatch.StartNew();
        var kernel = _plan.Kernel ? KernelSymbols.Read() : KernelSymbols.None;
        var properties = new Dictionary<string, string>(_plan.Notes) { ["sampler"] = "perf_event_open", ["stack-walks"] = _walks.Describe() };
        if (_plan.Kernel && !kernel.Available)
        {
            properties["kernel-symbols"] = "hidden by kernel.kptr_restrict; sysctl -w kernel.kptr_restrict=0 to name kernel frames";
        }
        if (lost > 0)
        {
            properties["lost"] = $"{lost} samples dropped by the kernel (ring buffer full)";
        }
        var summary = new SessionSummary(KnownUnits.Samples, $"{_frequency} Hz", end, _targetExited || _readerError is not null, properties);
        var profile = await _stacks.EndAsync(summary, kernel, cancellationToken);
        _request.Logger.LogInformation("cpu on pid {Pid}: {Samples} samples, {Stacks} stacks, named in {Milliseconds} ms", _request.Target.Pid, _stacks.Samples, profile.Stacks.Count, clock.ElapsedMilliseconds);
        return profile;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            _reader.Join();
            _stacks.Abandon();
        }
        CloseRings();
        _code.Dispose();
        _stop.Dispose();
    }

    private void OpenEvents()
    {
        foreach (var cpu in OnlineCpus())
        {
            if (_plan.Mode == PerfMode.PerCpu)
            {
                _rings[cpu] = MapRing(Open(-1, cpu) ?? throw new IOException($"perf_event_open(cpu {cpu}) found no such CPU"));
            }
            _cpus.Add(cpu);
        }
        if (_plan.Mode == PerfMode.PerThread)
        {
            ScanThreads();
        }
    }

    /// <summary>Opens one event; null when its thread exited meanwhile.</summary>
    private int? Open(int pid, int cpu)
    {
        var fd = _syscalls.Open(_attributes, pid, cpu);
        if (fd < 0)
        {
            if (pid > 0 && -fd == Libc.ESRCH)
            {
                return null; // The thread exited between the scan and the open.
            }
            throw new IOException($"perf_event_open(pid {pid}, cpu {cpu}) failed with errno {-fd}");
        }
        return fd;
    }

    private static PerfRing MapRing(int fd) =>
        PerfRing.Map(fd, RingDataPagesLog2, out var errno)
            ?? throw new IOException($"mapping the perf ring buffer failed with errno {errno}" + (errno == Libc.EPERM ? " (locked memory limit: raise perf_event_mlock_kb or RLIMIT_MEMLOCK)" : ""));

    /// <summary>
    /// Per-thread mode: opens an event on each CPU for threads that appeared, and closes those of threads that ended.
    /// A thread's event on a CPU writes into that CPU's one ring (the first such event's), as perf record -p does:
    /// the rings' locked memory stays the same however many threads the target has.
    /// </summary>
    private void ScanThreads()
    {
        int[] threads;
        try
        {
            threads = Directory.GetDirectories($"/proc/{_request.Target.Pid}/task").Select(d => int.Parse(Path.GetFileName(d))).ToArray();
        }
        catch (DirectoryNotFoundException)
        {
            _targetExited = true;
            return;
        }
        foreach (var tid in threads)
        {
            if (_threadEvents.ContainsKey(tid) || tid == _readerThreadId)
            {
                continue;
            }
            var events = new List<int>(_cpus.Count);
            foreach (var cpu in _cpus)
            {
                if (Open(tid, cpu) is not { } fd)
                {
                    break;
                }
                if (_rings.TryGetValue(cpu, out var ring))
                {
                    Libc.ioctl(fd, Libc.PerfEventIocSetOutput, (ulong)ring.Fd);
                    Libc.ioctl(fd, Libc.PerfEventIocEnable, 0);
                    events.Add(fd);
                }
                else
                {
                    // The ring's own event stays open to the end, whatever becomes of its thread.
                    _rings[cpu] = MapRing(fd);
                }
            }
            _threadEvents[tid] = events;
        }
        foreach (var gone in _threadEvents.Keys.Except(threads).ToArray())
        {
            CloseEvents(_threadEvents[gone]);
            _threadEvents.Remove(gone);
        }
    }

    private void ReadLoop()
    {
        _readerThreadId = UnixThread.CurrentId;
        var lastScan = Stopwatch.StartNew();
        try
        {
            while (!_stop.Token.WaitHandle.WaitOne(DrainInterval))
            {
                foreach (var ring in _rings.Values)
                {
                    ring.Drain(OnSample);
                }
                if (lastScan.Elapsed >= ThreadScanInterval)
                {
                    lastScan.Restart();
                    _code.Refresh();
                    if (_plan.Mode == PerfMode.PerThread)
                    {
                        ScanThreads();
                    }
                    else if (!Directory.Exists($"/proc/{_request.Target.Pid}"))
                    {
                        _targetExited = true;
                    }
                }
            }
        }
        catch (Exception e)
        {
            _readerError = e;
        }
    }

    private void OnSample(in PerfSampleRecord sample)
    {
        var tid = (int)sample.Tid;
        if (sample.Pid != (uint)_request.Target.Pid || tid == _readerThreadId || !ThreadAllowed(tid))
        {
            return;
        }
        var chain = sample.Callchain;
        if (_chain.Length < chain.Length + MaxUserFrames)
        {
            _chain = new ulong[chain.Length + MaxUserFrames];
        }
        var count = 0;
        var firstOfContext = true;
        var userChain = ReadOnlySpan<ulong>.Empty;
        for (var i = 0; i < chain.Length; i++)
        {
            var entry = chain[i];
            if (entry == PerfRecord.ContextUser)
            {
                userChain = chain[(i + 1)..];
                break;
            }
            if (entry >= PerfRecord.ContextMax)
            {
                firstOfContext = true;
                continue;
            }
            // Past the first, entries are return addresses: one byte back lands in the call instruction, in the caller's code.
            _chain[count++] = firstOfContext ? entry : entry - 1;
            firstOfContext = false;
        }
        if (sample.UserSp != 0)
        {
            _stackWindow.Load(sample.UserSp, sample.UserStack);
            var user = _chain.AsSpan(count, MaxUserFrames);
            var walk = _unwinder.Unwind(sample.UserIp, sample.UserSp, sample.UserBp, user);
            if (walk.End == WalkEnd.StackNotReadable)
            {
                walk = _continuation.Continue(walk, user, userChain);
            }
            _walks.Add(walk);
            count += walk.Count;
        }
        if (count > 0)
        {
            _stacks.Add(tid, _chain.AsSpan(0, count));
        }
    }

    private bool ThreadAllowed(int tid)
    {
        if (_threadFilter is null)
        {
            return true;
        }
        if (!_threadAllowed.TryGetValue(tid, out var allowed))
        {
            allowed = _threadFilter.IsMatch(tid.ToString(System.Globalization.CultureInfo.InvariantCulture)) || _threadFilter.IsMatch(_stacks.ThreadNames.NameOf(tid));
            _threadAllowed[tid] = allowed;
        }
        return allowed;
    }

    private void CloseRings()
    {
        foreach (var events in _threadEvents.Values)
        {
            CloseEvents(events);
        }
        _threadEvents.Clear();
        foreach (var ring in _rings.Values)
        {
            ring.Dispose();
        }
        _rings.Clear();
    }

    private static void CloseEvents(List<int> events)
    {
        foreach (var fd in events)
        {
            Libc.ioctl(fd, Libc.PerfEventIocDisable, 0);
            Libc.close(fd);
        }
    }

    private static IEnumerable<int> OnlineCpus()
    {
        // "0-1" or "0,2-5"
        var online = File.ReadAllText("/sys/devices/system/cpu/online").Trim();
        foreach (var part in online.Split(','))
        {
            var bounds = part.Split('-');
            var first = int.Parse(bounds[0]);
            var last = bounds.Length > 1 ? int.Parse(bounds[1]) : first;
            for (var cpu = first; cpu <= last; cpu++)
            {
                yield return cpu;
            }
        }
    }
}

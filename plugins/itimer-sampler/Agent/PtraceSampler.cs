using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Itimer.Agent;

/// <summary>
/// Samples a process's threads where they run, not at safepoints: every tick, each thread that used CPU since the
/// last tick (by /proc/&lt;pid&gt;/task/&lt;tid&gt;/schedstat) is interrupted with PTRACE_INTERRUPT, its registers read,
/// its stack walked (frame pointers, and the prologues of jitted methods that keep none) through process_vm_readv,
/// and it is let go at once. Between ticks the tracer sleeps, and wakes to pass on every signal the threads receive
/// (the GC suspends threads with signals), so they wait only briefly.
/// </summary>
internal sealed unsafe class PtraceSampler
{
    private const int MaxFrames = 512;
    private static readonly TimeSpan ScanInterval = TimeSpan.FromMilliseconds(100);
    private static readonly long StopWait = Stopwatch.Frequency / 50;
    private static readonly long StopSpin = Stopwatch.Frequency / 20_000;

    /// <summary>Between the tracer's wake-up on a thread's CPU and the tick's start, which is not measured.</summary>
    private static readonly TimeSpan TracerSlack = TimeSpan.FromMicroseconds(100);

    private readonly Dictionary<int, TracedThread> _threads = [];
    private readonly byte[] _regs = new byte[Native.RegsSize];
    private readonly ulong[] _frames = new ulong[MaxFrames];
    private readonly ProcessCode _code;
    private readonly StackWindow _stackWindow;
    private readonly StackUnwinder _unwinder;
    private readonly WalkStatistics _walks = new();
    private readonly byte[] _message = new byte[AgentProtocol.SampleSize(MaxFrames)];
    private readonly Action _passOnStops;
    private readonly int _pid;
    private readonly Stream _output;
    private readonly TextWriter _errors;
    private readonly long _period;
    private long _samples;
    private long _ticks;
    private long _missedTicks;
    private long _lastTick;
    private long _notRunning;

    public PtraceSampler(int pid, int hz, Stream output, TextWriter errors)
    {
        _pid = pid;
        _period = Stopwatch.Frequency / hz;
        _output = output;
        _errors = errors;
        var memory = new ProcessMemory(pid);
        _code = new ProcessCode(pid, memory);
        // The thread is stopped while it is walked: what lies past the window is still its stack.
        _stackWindow = new StackWindow(memory, 32 * 1024, readPastWindow: true);
        _unwinder = new StackUnwinder(_code, _stackWindow);
        _passOnStops = () => PassOnStops();
    }

    public int Run(ManualResetEventSlim stop)
    {
        ScanThreads();
        _code.Refresh();
        if (_threads.Count == 0)
        {
            _errors.WriteLine($"cannot trace any thread of process {_pid}");
            return 3;
        }
        var waiter = new StopWaiter();
        AgentProtocol.WriteReady(_output);
        _output.Flush();
        var next = Stopwatch.GetTimestamp() + _period;
        var lastScan = Stopwatch.StartNew();
        var lastFlush = Stopwatch.StartNew();
        while (!stop.IsSet)
        {
            if (Stopwatch.GetTimestamp() < next)
            {
                waiter.WaitUntil(next, _passOnStops);
                continue;
            }
            next += _period;
            if (Stopwatch.GetTimestamp() > next)
            {
                // Fell behind (the machine is busy): skip the ticks missed, do not burst.
                var now = Stopwatch.GetTimestamp();
                _missedTicks += (now - next) / _period + 1;
                next = now + _period;
            }
            if (lastScan.Elapsed >= ScanInterval)
            {
                lastScan.Restart();
                if (!Directory.Exists($"/proc/{_pid}"))
                {
                    break;
                }
                ScanThreads();
                _code.Refresh();
            }
            Tick(waiter);
            if (lastFlush.ElapsedMilliseconds >= 200)
            {
                lastFlush.Restart();
                _output.Flush();
            }
        }
        DetachAll();
        waiter.Stop();
        _code.Dispose();
        AgentProtocol.WriteReport(_output, new AgentProtocol.Report(_ticks, _missedTicks, _samples, _notRunning, _walks.Encode()));
        _output.Flush();
        return 0;
    }

    /// <summary>
    /// Interrupts the threads that may be running at this tick and samples each as its stop arrives, weighted by the
    /// time since the last tick, as perf's cpu-clock samples whatever runs: a stack's weight estimates the CPU time
    /// spent in it. State R means running or waiting for a CPU, so a thread counts as running only if it was not put
    /// on a CPU again before it stopped (a running thread stops where it is, at once), unless all it waited for was
    /// this tracer, which woke on its CPU and took it over for the tick (see <see cref="Sample"/>). A sleeping thread
    /// is left alone even if it ran briefly: its stack now shows where it sleeps, not where it ran. (Weighting a sample
    /// by all the CPU a thread used since its previous sample would hand its work to the spin-wait it is caught in
    /// once the work is done.)
    /// </summary>
    private void Tick(StopWaiter waiter)
    {
        _ticks++;
        var now = Stopwatch.GetTimestamp();
        // After a stall (the machine is busy) a sample stands for the time it missed, but for no more than a few ticks.
        var sinceLastTick = _lastTick == 0 ? _period : Math.Min(now - _lastTick, 4 * _period);
        var weight = (long)(sinceLastTick * (1e9 / Stopwatch.Frequency));
        _lastTick = now;
        var tracerCpu = Native.sched_getcpu();
        var onTracersCpu = 0;
        foreach (var thread in _threads.Values)
        {
            if (thread.State != ThreadState.Running || thread.ReadSchedulerStatistics() is not { } statistics)
            {
                continue;
            }
            // Not put on a CPU since the last tick, nor run (the scheduler's own tick adds a running thread's time every
            // few milliseconds): it is not running now, and its stat need not be read.
            var idle = statistics.Running == thread.AtTick.Running && statistics.Switches == thread.AtTick.Switches;
            thread.AtTick = statistics;
            // Each thread is stopped right after its state is read: a thread caught working but stopped later may
            // already be spinning for its next work item.
            if (idle || thread.RunnableOn() is not { } cpu)
            {
                continue;
            }
            thread.OnTracersCpu = cpu == tracerCpu;
            thread.Weight = weight;
            if (Native.ptrace(Native.PtraceInterrupt, thread.Tid, 0, 0) == 0)
            {
                thread.State = ThreadState.Interrupting;
                onTracersCpu += thread.OnTracersCpu ? 1 : 0;
            }
        }
        if (onTracersCpu > 1)
        {
            // The tracer took the CPU of one thread at most: of those waiting on its CPU, which one is not known, so each weighs its share.
            foreach (var thread in _threads.Values)
            {
                if (thread.State == ThreadState.Interrupting && thread.OnTracersCpu)
                {
                    thread.Weight = weight / onTracersCpu;
                }
            }
        }
        // A running thread stops within microseconds: spin for it first, yielding the CPU to an interrupted thread
        // that waits for this one, and only then sleep until each stop is reported, since a wake-up costs more.
        var interrupted = Stopwatch.GetTimestamp();
        var spinEnd = interrupted + StopSpin;
        var deadline = interrupted + StopWait;
        while (AnyInterrupting() && Stopwatch.GetTimestamp() < spinEnd)
        {
            if (!PassOnStops())
            {
                Thread.Yield();
            }
        }
        while (AnyInterrupting() && Stopwatch.GetTimestamp() < deadline)
        {
            waiter.WaitUntil(deadline, _passOnStops);
        }
    }

    private bool AnyInterrupting()
    {
        foreach (var thread in _threads.Values)
        {
            if (thread.State == ThreadState.Interrupting)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Handles every pending stop of a traced thread; returns whether there was any.</summary>
    private bool PassOnStops()
    {
        var handled = false;
        while (true)
        {
            int status;
            var tid = Native.waitpid(-1, &status, Native.WaitAll | Native.WaitNoHang);
            if (tid <= 0)
            {
                return handled;
            }
            handled = true;
            if (!_threads.TryGetValue(tid, out var thread))
            {
                continue;
            }
            if (Native.IsGone(status))
            {
                Forget(thread);
                continue;
            }
            var signal = Native.StopSignal(status);
            if (Native.StopEvent(status) == Native.PtraceEventStop)
            {
                if (signal is Native.SigStop or Native.SigTstp or Native.SigTtin or Native.SigTtou)
                {
                    // A group stop (the process was stopped, e.g. SIGSTOP): keep it stopped, but keep listening.
                    Native.ptrace(Native.PtraceListen, tid, 0, 0);
                    continue;
                }
                if (thread.State == ThreadState.Interrupting)
                {
                    Sample(thread);
                    thread.State = ThreadState.Running;
                }
                signal = 0; // Our interrupt: there is no signal to deliver.
            }
            // Let the thread go on, delivering the signal it stopped for, if any; or let it go, if detaching.
            if (thread.State == ThreadState.Detaching)
            {
                Native.ptrace(Native.PtraceDetach, tid, 0, signal);
                Forget(thread);
            }
            else
            {
                Native.ptrace(Native.PtraceCont, tid, 0, signal);
            }
        }
    }

    private void Forget(TracedThread thread)
    {
        thread.Dispose();
        _threads.Remove(thread.Tid);
    }

    private void Sample(TracedThread thread)
    {
        if (!WasRunningAtTick(thread))
        {
            _notRunning++;
            return;
        }
        fixed (byte* regs = _regs)
        {
            if (Native.ptrace(Native.PtraceGetRegs, thread.Tid, 0, (nint)regs) != 0)
            {
                return;
            }
            if (Native.WaitingSystemCalls.Contains(*(long*)(regs + Native.OrigRaxOffset)))
            {
                _notRunning++;
                return; // Woken from a wait and not yet back on a CPU at the tick: nothing ran here.
            }
            var rip = *(ulong*)(regs + Native.RipOffset);
            var rbp = *(ulong*)(regs + Native.RbpOffset);
            var rsp = *(ulong*)(regs + Native.RspOffset);
            _stackWindow.MoveTo(rsp);
            var walk = _unwinder.Unwind(rip, rsp, rbp, _frames);
            _walks.Add(walk);
            var length = AgentProtocol.EncodeSample(_message, thread.Tid, thread.Weight, _frames.AsSpan(0, walk.Count));
            _output.Write(_message, 0, length);
            _samples++;
        }
    }

    /// <summary>
    /// A running thread stops where it is, at once, without being put on a CPU again. One that was, waited for a CPU
    /// at the tick; unless it sits on the tracer's CPU and waited no longer than the tracer has run since the tick:
    /// then the tracer's own wake-up took its CPU, and it is what ran there.
    /// </summary>
    private bool WasRunningAtTick(TracedThread thread)
    {
        if (thread.ReadSchedulerStatistics() is not { } now)
        {
            return false;
        }
        var switches = now.Switches - thread.AtTick.Switches;
        var waited = now.Waiting - thread.AtTick.Waiting;
        var tracerRan = (Stopwatch.GetTimestamp() - _lastTick) * (1e9 / Stopwatch.Frequency);
        return switches == 0 || (thread.OnTracersCpu && switches == 1 && waited <= tracerRan + TracerSlack.TotalNanoseconds);
    }

    private void ScanThreads()
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{_pid}/task");
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        foreach (var task in tasks)
        {
            var tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
            if (_threads.ContainsKey(tid))
            {
                continue;
            }
            if (Native.ptrace(Native.PtraceSeize, tid, 0, 0) != 0)
            {
                var errno = Native.Errno;
                if (errno != Native.ESRCH)
                {
                    _errors.WriteLine($"cannot seize thread {tid} of process {_pid}: errno {errno}");
                }
                continue;
            }
            var thread = new TracedThread(_pid, tid);

            _threads[tid] = thread;
        }
    }

    /// <summary>Lets every thread go: each is interrupted and detached at its next stop, signals delivered on the way.</summary>
    private void DetachAll()
    {
        foreach (var thread in _threads.Values)
        {
            thread.State = ThreadState.Detaching;
            if (Native.ptrace(Native.PtraceInterrupt, thread.Tid, 0, 0) != 0)
            {
                thread.Dispose();
            }
        }
        var deadline = Stopwatch.StartNew();
        while (_threads.Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (!PassOnStops())
            {
                Thread.Sleep(1);
            }
            foreach (var gone in _threads.Where(t => !Directory.Exists($"/proc/{_pid}/task/{t.Key}")).Select(t => t.Key).ToArray())
            {
                _threads.Remove(gone);
            }
        }
    }

    private readonly record struct SchedulerStatistics(long Running, long Waiting, long Switches);

    private enum ThreadState
    {
        Running,
        Interrupting,
        Detaching,
    }

    private sealed class TracedThread(int pid, int tid) : IDisposable
    {
        private readonly byte[] _buffer = new byte[512];
        private SafeFileHandle? _schedstat;
        private SafeFileHandle? _stat;

        public int Tid { get; } = tid;

        public ThreadState State { get; set; }

        /// <summary>Its scheduler statistics at the last tick.</summary>
        public SchedulerStatistics AtTick { get; set; }

        /// <summary>True when at the last tick it was on the CPU the tracer ran on.</summary>
        public bool OnTracersCpu { get; set; }

        /// <summary>What its next sample weighs: the nanoseconds since the previous tick.</summary>
        public long Weight { get; set; }

        /// <summary>The CPU a thread in state R (running or waiting for a CPU) is on, from its stat; null in any other state.</summary>
        public int? RunnableOn()
        {
            var stat = Read(ref _stat, "stat");
            // "tid (comm) S ...": the comm may hold spaces and parentheses, so the fields follow the last ") ".
            var close = stat.LastIndexOf(") "u8);
            if (close < 0 || close + 2 >= stat.Length || stat[close + 2] != (byte)'R')
            {
                return null;
            }
            // The state is the stat's field 3, the CPU it last ran on field 39.
            var fields = stat[(close + 2)..];
            for (var field = 3; field < 39; field++)
            {
                var space = fields.IndexOf((byte)' ');
                if (space < 0)
                {
                    return null;
                }
                fields = fields[(space + 1)..];
            }
            return Utf8Parser.TryParse(fields, out int cpu, out _) ? cpu : null;
        }

        /// <summary>The thread's schedstat: nanoseconds it ran and waited on a run queue, and how many times it was put on a CPU; null once it is gone.</summary>
        public SchedulerStatistics? ReadSchedulerStatistics()
        {
            var text = Read(ref _schedstat, "schedstat");
            return TryParseNext(ref text, out var running) && TryParseNext(ref text, out var waiting) && TryParseNext(ref text, out var switches)
                ? new SchedulerStatistics(running, waiting, switches)
                : null;
        }

        /// <summary>
        /// Reads one of the thread's /proc files, kept open, into the thread's buffer, to be parsed in place: nothing is
        /// allocated per tick. Empty once the thread is gone.
        /// </summary>
        private ReadOnlySpan<byte> Read(ref SafeFileHandle? handle, string file)
        {
            try
            {
                handle ??= File.OpenHandle($"/proc/{pid}/task/{Tid}/{file}");
                return _buffer.AsSpan(0, RandomAccess.Read(handle, _buffer, 0));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return default;
            }
        }

        private static bool TryParseNext(ref ReadOnlySpan<byte> text, out long value)
        {
            if (!Utf8Parser.TryParse(text, out value, out var length))
            {
                return false;
            }
            text = text[Math.Min(length + 1, text.Length)..];
            return true;
        }

        public void Dispose()
        {
            _schedstat?.Dispose();
            _stat?.Dispose();
        }
    }
}

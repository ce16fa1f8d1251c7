using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Itimer.Agent;

/// <summary>
/// Samples a process's threads where they run, not at safepoints: every tick, each thread that used CPU since the
/// last tick (by /proc/&lt;pid&gt;/task/&lt;tid&gt;/schedstat) is interrupted with PTRACE_INTERRUPT, its registers read,
/// its stack walked (frame pointers, and the prologues of jitted methods that keep none) through process_vm_readv,
/// and it is let go at once. Between ticks the tracer
/// passes on every signal the threads receive (the GC suspends threads with signals), so they wait only briefly.
/// </summary>
internal sealed unsafe class PtraceSampler
{
    private const int MaxFrames = 512;
    private static readonly TimeSpan ScanInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StopWait = TimeSpan.FromMilliseconds(20);

    /// <summary>Between the tracer's wake-up on a thread's CPU and the tick's start, which is not measured.</summary>
    private static readonly TimeSpan TracerSlack = TimeSpan.FromMicroseconds(100);

    private readonly Dictionary<int, TracedThread> _threads = [];
    private readonly byte[] _regs = new byte[Native.RegsSize];
    private readonly ulong[] _frames = new ulong[MaxFrames];
    private readonly ProcessCode _code;
    private readonly StackWindow _stackWindow;
    private readonly StackUnwinder _unwinder;
    private readonly WalkStatistics _walks = new();
    private readonly byte[] _line = new byte[32 + (MaxFrames * 17)];
    private readonly int _pid;
    private readonly Stream _output;
    private readonly TextWriter _errors;
    private readonly long _period;
    private long _samples;
    private long _ticks;
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
        _output.Write("ready\n"u8);
        _output.Flush();
        var next = Stopwatch.GetTimestamp() + _period;
        var lastScan = Stopwatch.StartNew();
        var lastFlush = Stopwatch.StartNew();
        while (!stop.IsSet)
        {
            PassOnStops();
            if (Stopwatch.GetTimestamp() < next)
            {
                Thread.Sleep(1);
                continue;
            }
            next += _period;
            if (Stopwatch.GetTimestamp() > next)
            {
                next = Stopwatch.GetTimestamp() + _period; // Fell behind (the machine is busy): skip, do not burst.
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
            Tick();
            if (lastFlush.ElapsedMilliseconds >= 200)
            {
                lastFlush.Restart();
                _output.Flush();
            }
        }
        DetachAll();
        _code.Dispose();
        _output.Write(Encoding.ASCII.GetBytes($"i ticks={_ticks} samples={_samples} not-running={_notRunning} walks={_walks.Encode()}\n"));
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
    private void Tick()
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
        // The tracer took the CPU of one thread at most: of those waiting on its CPU, which one is not known, so each weighs its share.
        foreach (var thread in _threads.Values.Where(t => t.State == ThreadState.Interrupting && t.OnTracersCpu))
        {
            thread.Weight = weight / onTracersCpu;
        }
        var deadline = Stopwatch.GetTimestamp() + (long)(StopWait.TotalSeconds * Stopwatch.Frequency);
        while (_threads.Values.Any(t => t.State == ThreadState.Interrupting) && Stopwatch.GetTimestamp() < deadline)
        {
            if (!PassOnStops())
            {
                Thread.Yield();
            }
        }
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
            var count = walk.Count;
            // The line is formatted as bytes straight into a buffer: a string a sample would be most of the agent's work.
            var length = 0;
            Append("s "u8, ref length);
            AppendNumber((ulong)thread.Tid, default, ref length);
            Append(" "u8, ref length);
            AppendNumber((ulong)thread.Weight, default, ref length);
            for (var i = 0; i < count; i++)
            {
                Append(" "u8, ref length);
                AppendNumber(_frames[i], Hexadecimal, ref length);
            }
            Append("\n"u8, ref length);
            _output.Write(_line, 0, length);
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

    private void Append(ReadOnlySpan<byte> text, ref int length)
    {
        text.CopyTo(_line.AsSpan(length));
        length += text.Length;
    }

    private void AppendNumber(ulong value, StandardFormat format, ref int length)
    {
        Utf8Formatter.TryFormat(value, _line.AsSpan(length), out var written, format);
        length += written;
    }

    private static readonly StandardFormat Hexadecimal = new('x');

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
            try
            {
                _stat ??= File.OpenHandle($"/proc/{pid}/task/{Tid}/stat");
                var length = RandomAccess.Read(_stat, _buffer, 0);
                // "tid (comm) S ...": the comm may hold spaces and parentheses, so the fields follow the last ") ".
                var text = Encoding.ASCII.GetString(_buffer, 0, length);
                var close = text.LastIndexOf(") ", StringComparison.Ordinal);
                if (close < 0 || close + 2 >= text.Length || text[close + 2] != 'R')
                {
                    return null;
                }
                var fields = text[(close + 2)..].Split(' ');
                // The state is the stat's field 3, the CPU it last ran on field 39.
                return fields.Length > 36 && int.TryParse(fields[36], NumberStyles.None, CultureInfo.InvariantCulture, out var cpu) ? cpu : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        /// <summary>The thread's schedstat: nanoseconds it ran and waited on a run queue, and how many times it was put on a CPU; null once it is gone.</summary>
        public SchedulerStatistics? ReadSchedulerStatistics()
        {
            try
            {
                _schedstat ??= File.OpenHandle($"/proc/{pid}/task/{Tid}/schedstat");
                var length = RandomAccess.Read(_schedstat, _buffer, 0);
                var fields = Encoding.ASCII.GetString(_buffer, 0, length).Trim().Split(' ');
                return fields.Length >= 3
                    && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var running)
                    && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var waiting)
                    && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var switches)
                    ? new SchedulerStatistics(running, waiting, switches)
                    : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        public void Dispose()
        {
            _schedstat?.Dispose();
            _stat?.Dispose();
        }
    }
}

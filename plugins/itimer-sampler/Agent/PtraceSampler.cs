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

    private readonly Dictionary<int, TracedThread> _threads = [];
    private readonly byte[] _regs = new byte[Native.RegsSize];
    private readonly ulong[] _frames = new ulong[MaxFrames];
    private readonly ProcessCode _code;
    private readonly StackWindow _stackWindow;
    private readonly StackUnwinder _unwinder;
    private readonly WalkStatistics _walks = new();
    private readonly StringBuilder _line = new(1024);
    private readonly int _pid;
    private readonly int _hz;
    private readonly TextWriter _output;
    private readonly TextWriter _errors;
    private long _samples;
    private long _ticks;

    public PtraceSampler(int pid, int hz, TextWriter output, TextWriter errors)
    {
        _pid = pid;
        _hz = hz;
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
        _output.WriteLine("ready");
        _output.Flush();
        var period = Stopwatch.Frequency / _hz;
        var next = Stopwatch.GetTimestamp() + period;
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
            next += period;
            if (Stopwatch.GetTimestamp() > next)
            {
                next = Stopwatch.GetTimestamp() + period; // Fell behind (the machine is busy): skip, do not burst.
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
        _output.WriteLine($"i ticks={_ticks} samples={_samples} walks={_walks.Encode()}");
        _output.Flush();
        return 0;
    }

    /// <summary>
    /// Interrupts every thread that is on a CPU (or waiting for one) and used CPU since its last sample, and samples
    /// each as its stop arrives. A sleeping thread is left alone even if it ran briefly: its stack now shows where it
    /// sleeps, not where it ran, and interrupting it would itself cost it CPU time. Its CPU time is carried to its next sample.
    /// </summary>
    private void Tick()
    {
        _ticks++;
        foreach (var thread in _threads.Values)
        {
            var cpu = thread.ReadCpuNanoseconds();
            if (cpu is null)
            {
                continue;
            }
            var used = cpu.Value - thread.LastCpu;
            if (used > 0 && thread.State == ThreadState.Running && thread.IsOnCpu())
            {
                thread.LastCpu = cpu.Value;
                thread.PendingCpu = used;
                if (Native.ptrace(Native.PtraceInterrupt, thread.Tid, 0, 0) == 0)
                {
                    thread.State = ThreadState.Interrupting;
                }
            }
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
        fixed (byte* regs = _regs)
        {
            if (Native.ptrace(Native.PtraceGetRegs, thread.Tid, 0, (nint)regs) != 0)
            {
                return;
            }
            var rip = *(ulong*)(regs + Native.RipOffset);
            var rbp = *(ulong*)(regs + Native.RbpOffset);
            var rsp = *(ulong*)(regs + Native.RspOffset);
            _stackWindow.MoveTo(rsp);
            var walk = _unwinder.Unwind(rip, rsp, rbp, _frames);
            _walks.Add(walk);
            var count = walk.Count;
            _line.Clear();
            _line.Append("s ").Append(thread.Tid).Append(' ').Append(thread.PendingCpu);
            for (var i = 0; i < count; i++)
            {
                _line.Append(' ').Append(_frames[i].ToString("x", CultureInfo.InvariantCulture));
            }
            _output.WriteLine(_line);
            _samples++;
        }
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
            thread.LastCpu = thread.ReadCpuNanoseconds() ?? 0;
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

        public long LastCpu { get; set; }

        public long PendingCpu { get; set; }

        /// <summary>True when the thread is running or runnable (state R in its stat).</summary>
        public bool IsOnCpu()
        {
            try
            {
                _stat ??= File.OpenHandle($"/proc/{pid}/task/{Tid}/stat");
                var length = RandomAccess.Read(_stat, _buffer, 0);
                // "tid (comm) S ...": the comm may hold spaces and parentheses, so the state follows the last ") ".
                var text = Encoding.ASCII.GetString(_buffer, 0, length);
                var close = text.LastIndexOf(") ", StringComparison.Ordinal);
                return close > 0 && close + 2 < text.Length && text[close + 2] == 'R';
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        /// <summary>Nanoseconds the thread has run on a CPU, from the first field of its schedstat; null once it is gone.</summary>
        public long? ReadCpuNanoseconds()
        {
            try
            {
                _schedstat ??= File.OpenHandle($"/proc/{pid}/task/{Tid}/schedstat");
                var length = RandomAccess.Read(_schedstat, _buffer, 0);
                var text = Encoding.ASCII.GetString(_buffer, 0, length);
                var space = text.IndexOf(' ');
                return long.TryParse(space > 0 ? text[..space] : text, NumberStyles.None, CultureInfo.InvariantCulture, out var ns) ? ns : null;
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

using System.Diagnostics;

namespace Pluggable.Plugins.Itimer.Agent;

/// <summary>
/// Wakes the tracer when a traced thread stops (for a signal to pass on, for an interrupt, or at its exit), so that it
/// sleeps between ticks and while interrupted threads come to a stop, instead of polling. A second thread blocks in
/// <c>waitid</c> with <c>WNOWAIT</c>: it sees the tracer thread's tracees, which belong to the whole process, and leaves
/// each stop pending for the tracer, the only thread allowed to answer it. The two hand over through eventfds, one
/// system call each way, which the tracer can wait on with a timeout.
/// </summary>
internal sealed unsafe class StopWaiter
{
    /// <summary>How long to wait before asking again when nothing is traced, as after the last thread exited.</summary>
    private static readonly TimeSpan NothingTracedWait = TimeSpan.FromMilliseconds(10);

    private readonly int _stopPending = Native.eventfd(0, Native.EventFdCloseOnExec | Native.EventFdNonBlocking);
    private readonly int _stopsHandled = Native.eventfd(0, Native.EventFdCloseOnExec);
    private volatile bool _stopped;

    public StopWaiter()
    {
        if (_stopPending < 0 || _stopsHandled < 0)
        {
            throw new IOException($"eventfd failed: errno {Native.Errno}");
        }
        new Thread(WaitForStops) { IsBackground = true, Name = "stop waiter" }.Start();
    }

    /// <summary>
    /// Sleeps until a traced thread has a stop pending, then lets <paramref name="handleStops"/> handle it; or until
    /// <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp), if none comes before.
    /// </summary>
    public void WaitUntil(long deadline, Action handleStops)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        if (remaining <= TimeSpan.Zero)
        {
            return;
        }
        var timeout = new Native.TimeSpec(remaining);
        var poll = new Native.PollFd { Fd = _stopPending, Events = Native.PollIn };
        if (Native.ppoll(&poll, 1, &timeout, null) == 1)
        {
            ulong count;
            Native.read(_stopPending, &count, sizeof(ulong));
            handleStops();
            Signal(_stopsHandled);
        }
    }

    /// <summary>Lets the waiting thread end. Its descriptors stay open, as it may still be in <c>waitid</c>; they close with the process.</summary>
    public void Stop()
    {
        _stopped = true;
        Signal(_stopsHandled);
    }

    private void WaitForStops()
    {
        var info = stackalloc byte[Native.SigInfoSize];
        ulong count;
        while (!_stopped)
        {
            if (Native.waitid(Native.IdTypeAll, 0, info, Native.WaitExited | Native.WaitStopped | Native.WaitNoWait | Native.WaitAll) != 0)
            {
                if (Native.Errno != Native.EINTR)
                {
                    Thread.Sleep(NothingTracedWait);
                }
                continue;
            }
            Signal(_stopPending);
            Native.read(_stopsHandled, &count, sizeof(ulong));
        }
    }

    private static void Signal(int eventFd)
    {
        ulong one = 1;
        Native.write(eventFd, &one, sizeof(ulong));
    }
}

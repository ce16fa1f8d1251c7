using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace PluggablePlugin1;

/// <summary>
/// threadstates: every 100 ms, what each of the target's threads is doing (running, sleeping, waiting on disk), by
/// thread name, from /proc. A starting point: replace the sampling with your own.
/// </summary>
public sealed class ThreadStatesSampler : ISampler
{
    public IReadOnlyList<EventTypeInfo> EventTypes { get; } =
        [new("threadstates", KnownUnits.Samples, "What the target's threads are doing, by thread name, every 100 ms")];

    public Availability Probe(string eventType, TargetProcess target) =>
        Directory.Exists($"/proc/{target.Pid}/task")
            ? Availability.Available
            : Availability.Unavailable($"/proc/{target.Pid}/task cannot be read", "run the profiler as the target's user");

    public Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<ISamplingSession>(new Session(request));

    private sealed class Session : ISamplingSession
    {
        private readonly SamplingRequest _request;
        private readonly StackProfileBuilder _builder;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampling;
        private long _samples;

        public Session(SamplingRequest request)
        {
            _request = request;
            _builder = new StackProfileBuilder(new ProfileMetadata
            {
                Event = request.EventType,
                Unit = KnownUnits.Samples,
                Interval = "100 ms",
                TargetPid = request.Target.Pid,
                TargetName = request.Target.Name,
                Start = DateTimeOffset.UtcNow,
            });
            _sampling = Task.Run(SampleAsync);
        }

        public async Task<StackProfile> StopAsync(CancellationToken cancellationToken)
        {
            await _stop.CancelAsync();
            await _sampling;
            _builder.Metadata = _builder.Metadata with { End = DateTimeOffset.UtcNow, Samples = _samples };
            return _builder.Build();
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _sampling;
            _stop.Dispose();
        }

        private async Task SampleAsync()
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    if (!SampleThreads())
                    {
                        _builder.Metadata = _builder.Metadata with { Partial = true };
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        /// <summary>Adds one sample per thread; false once the target has exited.</summary>
        private bool SampleThreads()
        {
            string[] tasks;
            try
            {
                tasks = Directory.GetDirectories($"/proc/{_request.Target.Pid}/task");
            }
            catch (DirectoryNotFoundException)
            {
                return false;
            }
            foreach (var task in tasks)
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    var open = stat.IndexOf('(');
                    var close = stat.LastIndexOf(')');
                    var name = stat[(open + 1)..close];
                    var state = stat[close + 2] switch { 'R' => "running", 'S' => "sleeping", 'D' => "waiting on I/O", var other => $"state {other}" };
                    _builder.Add([name, state], 1, FrameKind.Synthetic);
                    _samples++;
                }
                catch (IOException)
                {
                    // The thread ended between the listing and the read.
                }
            }
            return true;
        }
    }
}

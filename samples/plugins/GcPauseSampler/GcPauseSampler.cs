using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace GcPause;

/// <summary>
/// gcpause: how long the target's garbage collections stopped its threads, by generation and reason
/// (<c>GC;gen0;AllocSmall</c>), from the runtime's GC events over EventPipe.
/// </summary>
public sealed class GcPauseSampler : ISampler
{
    public IReadOnlyList<EventTypeInfo> EventTypes { get; } =
        [new("gcpause", KnownUnits.Nanoseconds, "Time garbage collections paused the process, by generation and reason")];

    public Availability Probe(string eventType, TargetProcess target) =>
        target.IsSelf || DiagnosticsClient.GetPublishedProcesses().Contains(target.Pid)
            ? Availability.Available
            : Availability.Unavailable($"process {target.Pid} has no diagnostics socket in reach", "run as the target's user with a shared /tmp");

    public Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<ISamplingSession>(new Session(request));

    private sealed class Session : ISamplingSession
    {
        private const long GcKeyword = 0x1;
        private readonly SamplingRequest _request;
        private readonly EventPipeSession _session;
        private readonly EventPipeEventSource _source;
        private readonly Task _processing;
        private readonly Dictionary<(int Generation, string Reason), double> _pauses = [];
        private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;
        private (int Generation, string Reason) _currentGc = (-1, "unknown");
        private double _suspendedAtMs = -1;
        private long _gcs;

        public Session(SamplingRequest request)
        {
            _request = request;
            var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcKeyword);
            _session = new DiagnosticsClient(request.Target.Pid).StartEventPipeSession(provider, requestRundown: false);
            _source = new EventPipeEventSource(_session.EventStream);
            _source.Clr.GCStart += gc => _currentGc = (gc.Depth, gc.Reason.ToString());
            _source.Clr.GCSuspendEEStart += suspend => _suspendedAtMs = suspend.TimeStampRelativeMSec;
            _source.Clr.GCRestartEEStop += restart =>
            {
                if (_suspendedAtMs >= 0)
                {
                    _pauses[_currentGc] = _pauses.GetValueOrDefault(_currentGc) + ((restart.TimeStampRelativeMSec - _suspendedAtMs) * 1e6);
                    _gcs++;
                }
                _suspendedAtMs = -1;
                _currentGc = (-1, "unknown");
            };
            _processing = Task.Run(_source.Process);
        }

        public async Task<StackProfile> StopAsync(CancellationToken cancellationToken)
        {
            try
            {
                await _session.StopAsync(cancellationToken);
            }
            catch (ServerNotAvailableException)
            {
                // The target exited: keep what arrived.
            }
            await _processing;
            var builder = new StackProfileBuilder(new ProfileMetadata
            {
                Event = _request.EventType,
                Unit = KnownUnits.Nanoseconds,
                Samples = _gcs,
                TargetPid = _request.Target.Pid,
                TargetName = _request.Target.Name,
                Start = _start,
                End = DateTimeOffset.UtcNow,
            });
            foreach (var ((generation, reason), nanoseconds) in _pauses)
            {
                var gen = generation < 0 ? "pause outside a GC" : $"gen{generation}";
                builder.Add(["GC", gen, reason], (long)nanoseconds, FrameKind.Runtime);
            }
            return builder.Build();
        }

        public ValueTask DisposeAsync()
        {
            _session.Dispose();
            _source.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

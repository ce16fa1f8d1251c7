using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Symbolization;

namespace Pluggable.Plugins.Itimer;

/// <summary>
/// itimer: CPU time by stack where perf events are not allowed (containers without CAP_PERFMON, a high
/// perf_event_paranoid). A sampler process interrupts the target's running threads with ptrace wherever they are,
/// never at safepoints, walks their frame pointers, and weighs each sample by the CPU time the thread used since
/// its previous one, so the profile is CPU time, not wall time.
/// </summary>
public sealed class ItimerSampler : ISampler, ISetupReporter
{
    private readonly string _agentPath;
    private readonly PtraceAccess _access;

    public ItimerSampler(PluginContext context)
        : this(Path.Combine(context.Directory, "itimer-agent.dll"), PtraceAccess.ForThisProcess())
    {
        // Loaded when a host starts: the moment to turn off the perf maps a killed host left on.
        PerfMapLease.ReleaseOrphans(context.LoggerFactory.CreateLogger<ItimerSampler>());
    }

    internal ItimerSampler(string agentPath, PtraceAccess access)
    {
        _agentPath = agentPath;
        _access = access;
    }

    public IReadOnlyList<EventTypeInfo> EventTypes { get; } =
    [
        // Every sample stops a thread with ptrace: at 1 kHz the sampler process took over half a core and the target lost
        // more than half its CPU; 200 Hz is twice the default and costs a fifth of that.
        new("itimer", KnownUnits.Nanoseconds, "CPU time by stack without perf events (ptrace): where perf events are not allowed")
        {
            ConfidentSamples = 1000,
            ShortestInterval = TimeSpan.FromMilliseconds(5),
            DefaultPriority = 10,
            // The timer counts the target's CPU time, so a sleeping target does not move it.
            FewSamples = new("the target used little CPU time: it was idle, or the session was short",
                "profile longer or while the target is under load, or sample more often with a shorter interval (5 ms at the shortest)"),
        },
    ];

    public Availability Probe(string eventType, TargetProcess target)
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            return Availability.Unavailable("itimer samples x86-64 Linux processes only.");
        }
        if (!File.Exists(_agentPath))
        {
            return Availability.Unavailable($"the sampler process is missing: {_agentPath}", "reinstall the itimer-sampler plugin folder.");
        }
        return _access.Check(target);
    }

    public IReadOnlyList<SetupCheck> CheckSetup(TargetProcess? target) =>
        OperatingSystem.IsLinux() ? _access.CheckSetup(target) : [];

    public async Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken)
    {
        var availability = Probe(request.EventType, request.Target);
        if (!availability.IsAvailable)
        {
            throw new InvalidOperationException($"{availability.Reason} {availability.Fix}");
        }
        return await ItimerSamplingSession.StartAsync(_agentPath, request, cancellationToken);
    }
}

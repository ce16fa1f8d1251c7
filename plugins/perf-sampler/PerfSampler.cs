using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Procfs;

namespace Pluggable.Plugins.Perf;

/// <summary>
/// cpu: where CPU time goes, from perf_event_open called directly: the kernel interrupts a running thread wherever it
/// is (no safepoint bias) and records its callchain, so kernel, native (libc, libcoreclr, P/Invoke targets) and
/// managed frames come in one stack.
/// </summary>
public sealed class PerfSampler : ISampler, ISetupReporter
{
    private readonly PerfPlanner _planner;
    private readonly PerfSetup _setup;
    private readonly IPerfEventSyscalls _syscalls;

    public PerfSampler()
        : this(PerfPlanner.ForThisMachine(), LinuxPerfEventSyscalls.Instance, ProcFiles.OfThisProcess)
    {
    }

    internal PerfSampler(PerfPlanner planner, IPerfEventSyscalls syscalls, ProcFiles files)
    {
        _planner = planner;
        _syscalls = syscalls;
        _setup = new PerfSetup(planner, files);
    }

    public IReadOnlyList<EventTypeInfo> EventTypes { get; } =
    [
        new("cpu", KnownUnits.Samples, "CPU time by stack, with kernel, native and managed frames (perf_event_open)", typeof(CpuOptions))
        {
            ConfidentSamples = 1000,
            DefaultPriority = 20,
            // A sample is taken only while a thread runs on a CPU, so an idle target gives few however long the session.
            FewSamples = new("the target's threads were seldom on a CPU: it was idle, or the session was short",
                "profile longer or while the target is under load, or sample more often with a shorter interval"),
        },
    ];

    public Availability Probe(string eventType, TargetProcess target) =>
        OperatingSystem.IsLinux()
            ? _planner.Plan(target, new CpuOptions()).Availability
            : Availability.Unavailable("perf events exist only on Linux.");

    public IReadOnlyList<SetupCheck> CheckSetup(TargetProcess? target) =>
        OperatingSystem.IsLinux() ? _setup.Check(target) : [];

    public Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken)
    {
        var options = request.EventOptions<CpuOptions>();
        var (plan, availability) = _planner.Plan(request.Target, options);
        if (plan is null)
        {
            throw new InvalidOperationException($"{availability.Reason} {availability.Fix}");
        }
        return Task.FromResult<ISamplingSession>(PerfSamplingSession.Start(request, plan, _syscalls, options));
    }
}

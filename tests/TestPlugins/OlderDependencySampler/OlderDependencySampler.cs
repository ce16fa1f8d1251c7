using Microsoft.Diagnostics.NETCore.Client;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace OlderDependency;

/// <summary>Reports, as its description, the version of Microsoft.Diagnostics.NETCore.Client it runs with: it was built against an older one than the host's.</summary>
public sealed class OlderDependencySampler : ISampler
{
    public IReadOnlyList<EventTypeInfo> EventTypes { get; } =
        [new("olderdependency", KnownUnits.Samples, $"NETCore.Client {typeof(DiagnosticsClient).Assembly.GetName().Version}")];

    public Availability Probe(string eventType, TargetProcess target) =>
        DiagnosticsClient.GetPublishedProcesses().Contains(target.Pid) || target.IsSelf ? Availability.Available : Availability.Unavailable("no diagnostics socket");

    public Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
}

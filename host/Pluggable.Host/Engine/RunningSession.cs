using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;

namespace Pluggable.Host.Engine;

/// <summary>A started sampling session and what it was started with.</summary>
/// <param name="Session">The sampler's session.</param>
/// <param name="EventType">What it samples, and which plugin serves it.</param>
/// <param name="Options">The effective options it runs with; its profile is rendered with them too.</param>
/// <param name="Target">The process it samples.</param>
/// <param name="Since">When it started.</param>
/// <param name="Limit">Cancelled when the session stops, to end the wait for its time limit.</param>
internal sealed record RunningSession(ISamplingSession Session, RegisteredEventType EventType, ProfilingOptions Options, TargetProcess Target, DateTimeOffset Since, CancellationTokenSource Limit);

/// <summary>What can end a session, as <see cref="StopResult.StoppedBy"/> and the profile's <c>stopped-by</c> say.</summary>
internal static class StoppedBy
{
    public const string Request = "request";
    public const string MaxDuration = "maxDuration";
}

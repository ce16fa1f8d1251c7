using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;

namespace Pluggable.Symbolization;

/// <summary>
/// Names the managed code of one target for the length of a profiling session. At the start it asks the runtime,
/// over the diagnostics IPC, to write its perf map (which it fills with the code already jitted, .NET 8+); at the end
/// it reads the map, adds the runtime's rundown (which also names ReadyToRun code, never in the perf map), and turns
/// the perf map off again unless the target had it on by itself or another session still uses it (see <see cref="PerfMapLease"/>).
/// </summary>
public sealed class ManagedSymbolSession
{
    private static readonly TimeSpan RundownTimeout = TimeSpan.FromSeconds(15);

    private readonly int _pid;
    private readonly ILogger _logger;
    private readonly PerfMapLease? _perfMap;

    /// <param name="pid">The target.</param>
    /// <param name="logger">Where the session logs.</param>
    /// <param name="perfMap">This session's hold on the perf map it turned on; null when it did not turn it on.</param>
    private ManagedSymbolSession(int pid, ILogger logger, PerfMapLease? perfMap)
    {
        _pid = pid;
        _logger = logger;
        _perfMap = perfMap;
    }

    /// <summary>
    /// Turns the target's perf map on, unless it is on already; first turns off those a killed host left on. A target
    /// without a reachable diagnostics IPC (not .NET) is fine: its frames are native.
    /// </summary>
    public static ManagedSymbolSession Begin(int pid, ILogger logger)
    {
        PerfMapLease.ReleaseOrphans(logger);
        var mapExisted = File.Exists(PerfMapFile.PathFor(pid));
        try
        {
            var client = new DiagnosticsClient(pid);
            var environment = client.GetProcessEnvironment();
            if (environment.TryGetValue("DOTNET_PerfMapEnabled", out var setting) && setting is "1" or "3")
            {
                return new ManagedSymbolSession(pid, logger, perfMap: null);
            }
            client.EnablePerfMap(PerfMapType.PerfMap);
            return new ManagedSymbolSession(pid, logger, PerfMapLease.Take(pid, mapExisted, logger));
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or ServerErrorException or IOException or UnauthorizedAccessException or TimeoutException)
        {
            logger.LogWarning("Cannot ask pid {Pid} for a perf map ({Message}); managed frames will be named from the rundown only", pid, e.Message);
            return new ManagedSymbolSession(pid, logger, perfMap: null);
        }
    }

    /// <summary>Whether a session of <paramref name="eventType"/> can name <paramref name="target"/>'s jitted code: <see cref="Begin"/> turns its perf map on over the diagnostics IPC, which .NET 8 first offers.</summary>
    public static SetupCheck SetupCheck(TargetProcess target, string eventType)
    {
        const string name = "perf maps";
        var why = $"name jitted code in {eventType} profiles; .NET 8+ turns them on when asked over the diagnostics IPC, and off after";
        return target.RuntimeMajorVersion switch
        {
            >= 8 => new SetupCheck(name, SetupStatus.Pass, $".NET {target.RuntimeVersion}: turned on for each session and off after", why),
            null => new SetupCheck(name, SetupStatus.Warn, "the target's .NET version is unknown (not .NET, or its maps are unreadable)", why, "start the target with DOTNET_PerfMapEnabled=3"),
            _ => new SetupCheck(name, SetupStatus.Warn, $".NET {target.RuntimeVersion} cannot turn perf maps on while running", why, "start the target with DOTNET_PerfMapEnabled=3, or move it to .NET 8+"),
        };
    }

    /// <summary>Reads what names the managed code and restores the target's perf map setting. Works on a target that has exited (the perf map file remains).</summary>
    public async Task<ManagedCodeMap> EndAsync(CancellationToken cancellationToken)
    {
        var rundown = await ReadRundownAsync(cancellationToken);
        var perfMap = PerfMapFile.Read(PerfMapFile.PathFor(_pid)).ToList();
        Restore();
        _logger.LogInformation("Managed symbols of pid {Pid}: {PerfMap} perf map entries, {Rundown} methods from the rundown", _pid, perfMap.Count, rundown.Count);
        return new ManagedCodeMap(
            new SymbolTable(perfMap.Select(m => (m.Start, m.Size, m.Name)).Concat(rundown)),
            new SymbolTable(perfMap.Where(m => m.IsOsr).Select(m => (m.Start, m.Size, m.Name))));
    }

    /// <summary>
    /// Turns the perf map off again and removes its file, if this session turned it on and no other session still uses
    /// it; otherwise leaves it as it was.
    /// </summary>
    public void Restore() => _perfMap?.Release();

    /// <summary>Every method the runtime has code for, with its address (jitted and ReadyToRun), from a session that asks only for the rundown.</summary>
    private async Task<List<(ulong Start, ulong Size, string Name)>> ReadRundownAsync(CancellationToken cancellationToken)
    {
        var methods = new List<(ulong, ulong, string)>();
        try
        {
            var client = new DiagnosticsClient(_pid);
            var providers = new[] { new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, 0) };
            using var session = await client.StartEventPipeSessionAsync(new EventPipeSessionConfiguration(providers, 64, requestRundown: true, requestStackwalk: false), cancellationToken);
            using var source = new EventPipeEventSource(session.EventStream);
            new ClrRundownTraceEventParser(source).MethodDCStopVerbose += method =>
            {
                if (method.MethodStartAddress != 0 && method.MethodSize > 0)
                {
                    methods.Add((method.MethodStartAddress, (ulong)method.MethodSize, $"{method.MethodNamespace}.{method.MethodName}"));
                }
            };
            var processing = Task.Run(source.Process, cancellationToken);
            await session.StopAsync(cancellationToken);
            if (await Task.WhenAny(processing, Task.Delay(RundownTimeout, cancellationToken)) != processing)
            {
                source.StopProcessing();
                _logger.LogWarning("The rundown of pid {Pid} did not finish within {Timeout}", _pid, RundownTimeout);
            }
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or ServerErrorException or IOException or TimeoutException or EndOfStreamException)
        {
            _logger.LogInformation("No rundown from pid {Pid} ({Message}): ReadyToRun frames will be named by module and offset", _pid, e.Message);
        }
        return methods;
    }
}

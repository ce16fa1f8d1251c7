using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Symbolization;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Itimer;

/// <summary>
/// One itimer session: the sampler process (itimer-agent) runs beside the target and prints each sample as a line;
/// this side sums them by stack as they come, so whatever arrived survives the sampler's death, and names them at
/// the stop. If the sampler is killed, the kernel detaches it from the target's threads, which run on.
/// </summary>
internal sealed class ItimerSamplingSession : ISamplingSession
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _agent;
    private readonly SamplingRequest _request;
    private readonly int _frequency;
    private readonly AddressStackAggregator _aggregator;
    private readonly ThreadNames _threadNames;
    private readonly ManagedSymbolSession? _managedSymbols;
    private readonly ProcessMaps _mapsAtStart;
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;
    private readonly Task _reading;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _agentErrors = new();
    private readonly WalkStatistics _walks = new();
    private Dictionary<string, string> _agentReport = [];
    private ulong[] _addresses = new ulong[512];
    private bool _stopped;

    private ItimerSamplingSession(Process agent, SamplingRequest request, int frequency, ProcessMaps mapsAtStart, ManagedSymbolSession? managedSymbols)
    {
        _agent = agent;
        _request = request;
        _frequency = frequency;
        _mapsAtStart = mapsAtStart;
        _managedSymbols = managedSymbols;
        _aggregator = new AddressStackAggregator(byThread: request.Options.Threads, request.Options.MaxSamples);
        _threadNames = new ThreadNames(request.Target.Pid);
        _agent.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_agentErrors)
                {
                    _agentErrors.AppendLine(e.Data);
                }
            }
        };
        _agent.BeginErrorReadLine();
        _reading = Task.Run(ReadSamplesAsync);
    }

    public static async Task<ItimerSamplingSession> StartAsync(string agentPath, SamplingRequest request, CancellationToken cancellationToken)
    {
        var frequency = request.Options.Interval is { } interval ? (int)Math.Clamp(Math.Round(1 / interval.TotalSeconds), 1, 1000) : 100;
        var start = new ProcessStartInfo(DotnetHost(), [agentPath, "--pid", request.Target.Pid.ToString(CultureInfo.InvariantCulture), "--hz", frequency.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var mapsAtStart = ProcessMaps.Read(request.Target.Pid);
        var agent = Process.Start(start) ?? throw new IOException("could not start the itimer sampler process");
        if (request.Target.IsSelf)
        {
            // Under Yama scope 1 only ancestors may ptrace; name the sampler, our child, as our tracer.
            Native.prctl(Native.PrSetPtracer, (nuint)agent.Id, 0, 0, 0);
        }
        var managedSymbols = request.Target.RuntimeVersion is null ? null : ManagedSymbolSession.Begin(request.Target.Pid, request.Logger);
        var session = new ItimerSamplingSession(agent, request, frequency, mapsAtStart, managedSymbols);
        await agent.StandardInput.WriteLineAsync("start".AsMemory(), cancellationToken);
        await agent.StandardInput.FlushAsync(cancellationToken);
        if (await Task.WhenAny(session._ready.Task, Task.Delay(StartTimeout, cancellationToken)) != session._ready.Task || agent.HasExited)
        {
            await session.DisposeAsync();
            throw new IOException($"the itimer sampler process did not start: {session.AgentErrors()}");
        }
        request.Logger.LogInformation("itimer on pid {Pid}: sampler process {Agent} at {Frequency} Hz per busy thread", request.Target.Pid, agent.Id, frequency);
        return session;
    }

    public async Task<StackProfile> StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        var end = DateTimeOffset.UtcNow;
        var agentDiedEarly = _agent.HasExited;
        await StopAgentAsync();
        await _reading;
        var mapsAtStop = ProcessMaps.TryRead(_request.Target.Pid);
        var targetExited = mapsAtStop is null;
        var maps = mapsAtStop is null ? _mapsAtStart : _mapsAtStart.Merge(mapsAtStop);
        var managed = _managedSymbols is null ? ManagedCodeMap.Empty : await _managedSymbols.EndAsync(cancellationToken);
        var properties = new Dictionary<string, string> { ["sampler"] = "ptrace", ["weight"] = "the time between two ticks, for each thread found running at a tick", ["stack-walks"] = _walks.Describe() };
        if (_agentReport.TryGetValue("not-running", out var notRunning) && notRunning != "0")
        {
            properties["not-running"] = $"{notRunning} times a thread in state R was not running at a tick (on the sampler's CPU, or just woken from a wait) and was not sampled";
        }
        if (agentDiedEarly)
        {
            properties["sampler-exit"] = $"the sampler process exited early (code {_agent.ExitCode}): {AgentErrors()}".Trim();
        }
        var metadata = new ProfileMetadata
        {
            Event = _request.EventType,
            Unit = KnownUnits.Nanoseconds,
            Interval = $"{_frequency} Hz per busy thread",
            TargetPid = _request.Target.Pid,
            TargetName = _request.Target.Name,
            Start = _start,
            End = end,
            Partial = agentDiedEarly || targetExited,
            Properties = properties,
        };
        var profile = _aggregator.Build(new NativeStackSymbolizer(maps, managed, KernelSymbols.None, DebugSymbols.For(_request.Options.Symbols, _request.Logger)), metadata, _request.Options.Threads ? _threadNames.FrameName : null);
        _request.Logger.LogInformation("itimer on pid {Pid}: {Samples} samples, {Stacks} stacks", _request.Target.Pid, _aggregator.Samples, profile.Stacks.Count);
        return profile;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await StopAgentAsync();
            await _reading;
            _managedSymbols?.Restore();
        }
        _agent.Dispose();
    }

    private async Task StopAgentAsync()
    {
        if (!_agent.HasExited)
        {
            try
            {
                await _agent.StandardInput.WriteLineAsync("stop");
                await _agent.StandardInput.FlushAsync();
                _agent.StandardInput.Close();
            }
            catch (IOException)
            {
                // The sampler exited just now.
            }
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await _agent.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Killing it is safe: the kernel detaches a dead tracer's tracees, and they run on.
                _agent.Kill();
                await _agent.WaitForExitAsync();
            }
        }
    }

    private async Task ReadSamplesAsync()
    {
        while (await _agent.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == "ready")
            {
                _ready.TrySetResult();
            }
            else if (line.StartsWith("s ", StringComparison.Ordinal))
            {
                AddSample(line);
            }
            else if (line.StartsWith("i ", StringComparison.Ordinal))
            {
                var fields = line.Split(' ').Skip(1).Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
                _walks.AddEncoded(fields.GetValueOrDefault("walks", ""));
                _agentReport = fields;
            }
        }
        _ready.TrySetResult();
    }

    // s <tid> <cpu-ns> <addr> <addr> ...
    private void AddSample(string line)
    {
        var fields = line.AsSpan(2);
        var count = 0;
        var tid = 0;
        long weight = 0;
        var index = 0;
        foreach (var range in fields.Split(' '))
        {
            var field = fields[range];
            switch (index++)
            {
                case 0:
                    tid = int.Parse(field, CultureInfo.InvariantCulture);
                    break;
                case 1:
                    weight = long.Parse(field, CultureInfo.InvariantCulture);
                    break;
                default:
                    if (count == _addresses.Length)
                    {
                        Array.Resize(ref _addresses, count * 2);
                    }
                    _addresses[count++] = ulong.Parse(field, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    break;
            }
        }
        if (count > 0 && weight > 0)
        {
            if (_request.Options.Threads)
            {
                _threadNames.Remember(tid);
            }
            _aggregator.Add(tid, _addresses.AsSpan(0, count), weight);
        }
    }

    private string AgentErrors()
    {
        lock (_agentErrors)
        {
            return _agentErrors.ToString().Trim();
        }
    }

    /// <summary>The dotnet executable of the running runtime, to start the sampler with, whatever started this process.</summary>
    private static string DotnetHost() =>
        Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Plugins.Itimer.Agent;
using Pluggable.Core.Profiles;
using Pluggable.Symbolization;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Itimer;

/// <summary>
/// One itimer session: the sampler process (itimer-agent) runs beside the target and sends each sample as it takes it;
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
    private readonly NativeStackCollector _stacks;
    private readonly Task _reading;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _agentErrors = new();
    private readonly WalkStatistics _walks = new();
    private AgentProtocol.Report? _agentReport;
    private ulong[] _addresses = new ulong[512];
    private bool _stopped;

    private ItimerSamplingSession(Process agent, SamplingRequest request, int frequency, NativeStackCollector stacks)
    {
        _agent = agent;
        _request = request;
        _frequency = frequency;
        _stacks = stacks;
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
        _reading = Task.Factory.StartNew(ReadMessages, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
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
        var stacks = new NativeStackCollector(request);
        Process agent;
        try
        {
            agent = Process.Start(start) ?? throw new IOException("could not start the itimer sampler process");
        }
        catch
        {
            // No session to dispose yet: the target's perf map goes back off here.
            stacks.Abandon();
            throw;
        }
        if (request.Target.IsSelf)
        {
            // Under Yama scope 1 only ancestors may ptrace; name the sampler, our child, as our tracer.
            Native.prctl(Native.PrSetPtracer, (nuint)agent.Id, 0, 0, 0);
        }
        var session = new ItimerSamplingSession(agent, request, frequency, stacks);
        await agent.StandardInput.WriteLineAsync(AgentProtocol.StartCommand.AsMemory(), cancellationToken);
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
        var properties = new Dictionary<string, string> { ["sampler"] = "ptrace", ["weight"] = "the time between two ticks, for each thread found running at a tick", ["stack-walks"] = _walks.Describe() };
        if (_agentReport is { NotRunning: > 0 } notRunning)
        {
            properties["not-running"] = $"{notRunning.NotRunning} times a thread in state R was not running at a tick (on the sampler's CPU, or just woken from a wait) and was not sampled";
        }
        if (_agentReport is { MissedTicks: > 0 } missed)
        {
            properties["missed-ticks"] = $"{missed.MissedTicks} of {missed.Ticks + missed.MissedTicks} ticks passed while the sampler was behind (the machine was busy): the CPU used then is not in the profile";
        }
        if (agentDiedEarly)
        {
            properties["sampler-exit"] = $"the sampler process exited early (code {_agent.ExitCode}): {AgentErrors()}".Trim();
        }
        var summary = new SessionSummary(KnownUnits.Nanoseconds, $"{_frequency} Hz per busy thread", end, agentDiedEarly, properties);
        var profile = await _stacks.EndAsync(summary, KernelSymbols.None, cancellationToken);
        _request.Logger.LogInformation("itimer on pid {Pid}: {Samples} samples, {Stacks} stacks", _request.Target.Pid, _stacks.Samples, profile.Stacks.Count);
        return profile;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await StopAgentAsync();
            await _reading;
            _stacks.Abandon();
        }
        _agent.Dispose();
    }

    private async Task StopAgentAsync()
    {
        if (!_agent.HasExited)
        {
            try
            {
                await _agent.StandardInput.WriteLineAsync(AgentProtocol.StopCommand);
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

    /// <summary>Reads the agent's messages until it exits; on a thread of its own, since it reads for the whole session.</summary>
    private void ReadMessages()
    {
        using var output = new BufferedStream(_agent.StandardOutput.BaseStream, 1 << 16);
        Span<byte> header = stackalloc byte[AgentProtocol.HeaderSize];
        var payload = new byte[AgentProtocol.SampleSize(_addresses.Length)];
        try
        {
            while (output.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length)
            {
                var (kind, length) = AgentProtocol.DecodeHeader(header);
                if (length > payload.Length)
                {
                    payload = new byte[length];
                }
                var message = payload.AsSpan(0, length);
                if (output.ReadAtLeast(message, length, throwOnEndOfStream: false) < length)
                {
                    break;
                }
                switch (kind)
                {
                    case AgentProtocol.MessageKind.Ready:
                        _ready.TrySetResult();
                        break;
                    case AgentProtocol.MessageKind.Sample:
                        AddSample(message);
                        break;
                    case AgentProtocol.MessageKind.Report:
                        _agentReport = AgentProtocol.DecodeReport(message);
                        _walks.AddEncoded(_agentReport.Walks);
                        break;
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke with the agent: what was read is kept.
        }
        _ready.TrySetResult();
    }

    private void AddSample(ReadOnlySpan<byte> message)
    {
        var count = AgentProtocol.FrameCount(message.Length);
        if (count > _addresses.Length)
        {
            _addresses = new ulong[count];
        }
        var (tid, weight) = AgentProtocol.DecodeSample(message, _addresses.AsSpan(0, count));
        if (count > 0 && weight > 0)
        {
            _stacks.Add(tid, _addresses.AsSpan(0, count), weight);
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

using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Pluggable.Bench.Infrastructure;

namespace Pluggable.Bench.Overhead;

/// <summary>A profiler could not start or stop; the scenario records the message and goes on without it.</summary>
internal sealed class ProfilerToolException(string message) : Exception(message);

/// <summary>Starting and stopping the other tools, which run as child processes.</summary>
internal static class ToolProcess
{
    /// <summary>Waits until <paramref name="ready"/> holds; a tool that exits first, or is not ready within 30 s, is stopped and reported with its last output.</summary>
    public static async Task WaitUntilReadyAsync(ChildProcess process, Func<bool> ready, string notReady, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!ready())
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var why = process.HasExited ? "exited" : notReady;
                await process.DisposeAsync();
                throw new ProfilerToolException($"{process.Name} {why}: {process.RecentOutput}");
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>Stops the tool with SIGINT, as Ctrl+C would, and returns its last output; throws when it has not stopped within 60 s.</summary>
    public static async Task<string> InterruptAsync(ChildProcess process, string hint = "")
    {
        process.Interrupt();
        var stopped = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var recent = process.RecentOutput;
        await process.DisposeAsync();
        return stopped ? recent : throw new ProfilerToolException($"{process.Name} did not stop within 60 s of SIGINT{hint}: {recent}");
    }
}

/// <summary>What a profiler session left: its sample count and output size where it tells them, and anything worth a note.</summary>
internal sealed record ToolOutcome(long? Samples, long? OutputBytes, string? Note);

/// <summary>Where a tool runs: the target and, for Pluggable, the host attached to it.</summary>
internal sealed record ToolContext(int TargetPid, PluggableHost? Host, string DotnetTrace, string TempFolder);

/// <summary>One profiler configuration of the comparison, e.g. Pluggable's cpu, dotnet-trace's sampled thread time, perf record -a.</summary>
internal abstract record ProfilerTool(string Name)
{
    /// <summary>Starts profiling; returns once the profiler is collecting, so what follows measures it running.</summary>
    public abstract Task<ToolSession> StartAsync(ToolContext context, CancellationToken cancellationToken);
}

/// <summary>A running profiler session.</summary>
internal abstract class ToolSession
{
    /// <summary>The process that does the profiler's work, whose CPU time is reported; null when that is the target itself.</summary>
    public abstract int? ProcessId { get; }

    public abstract Task<ToolOutcome> StopAsync(CancellationToken cancellationToken);
}

/// <summary>A Pluggable event type, started and stopped through the host's HTTP API; the stop includes storing and rendering the flamegraph.</summary>
internal sealed record PluggableTool(string Name, string EventType, JObject? Options = null) : ProfilerTool(Name)
{
    public override async Task<ToolSession> StartAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var host = context.Host ?? throw new InvalidOperationException("a Pluggable tool needs a host");
        await host.StartAsync(EventType, Options ?? new JObject(), cancellationToken);
        return new Session(host);
    }

    private sealed class Session(PluggableHost host) : ToolSession
    {
        public override int? ProcessId => host.ProcessId;

        public override async Task<ToolOutcome> StopAsync(CancellationToken cancellationToken)
        {
            var answer = await host.StopAsync(cancellationToken);
            return new ToolOutcome(answer.Samples, null, answer.Warnings.Count > 0 ? string.Join("; ", answer.Warnings) : null);
        }
    }
}

/// <summary><c>dotnet-trace collect -p PID ...</c> writing a .nettrace file, stopped with SIGINT as Ctrl+C would.</summary>
internal sealed record DotnetTraceTool(string Name, IReadOnlyList<string> Arguments) : ProfilerTool(Name)
{
    public override async Task<ToolSession> StartAsync(ToolContext context, CancellationToken cancellationToken)
    {
        var output = Path.Combine(context.TempFolder, $"trace-{Guid.NewGuid():N}.nettrace");
        var process = ChildProcess.Start("dotnet-trace", context.DotnetTrace, ["collect", "-p", context.TargetPid.ToString(CultureInfo.InvariantCulture), .. Arguments, "-o", output]);
        // The trace file appears once the runtime has accepted the session and streams to it.
        await ToolProcess.WaitUntilReadyAsync(process, () => File.Exists(output) && new FileInfo(output).Length > 0, "wrote no trace within 30 s", cancellationToken);
        return new Session(process, output);
    }

    private sealed class Session(ChildProcess process, string output) : ToolSession
    {
        public override int? ProcessId => process.Pid;

        public override async Task<ToolOutcome> StopAsync(CancellationToken cancellationToken)
        {
            long? bytes;
            try
            {
                await ToolProcess.InterruptAsync(process, " (was the harness started with SIGINT ignored?)");
            }
            finally
            {
                bytes = File.Exists(output) ? new FileInfo(output).Length : null;
                File.Delete(output);
            }
            return new ToolOutcome(null, bytes, null);
        }
    }
}

/// <summary><c>perf record -F 99 -g</c>, per thread of the target (<c>-p PID</c>) or per CPU (<c>-a</c>), writing to /dev/null.</summary>
internal sealed partial record PerfTool(string Name, bool AllCpus) : ProfilerTool(Name)
{
    public override async Task<ToolSession> StartAsync(ToolContext context, CancellationToken cancellationToken)
    {
        string[] scope = AllCpus ? ["-a"] : ["-p", context.TargetPid.ToString(CultureInfo.InvariantCulture)];
        var process = ChildProcess.Start("perf record", "perf", ["record", "-F", "99", "-g", .. scope, "-o", "/dev/null"]);
        // perf prints nothing when it starts; it is sampling once it holds perf event descriptors.
        await ToolProcess.WaitUntilReadyAsync(process, () => HoldsPerfEvents(process.Pid), "opened no perf events within 30 s", cancellationToken);
        return new Session(process);
    }

    private static bool HoldsPerfEvents(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/fd").EnumerateFileSystemInfos().Any(fd => fd.LinkTarget == "anon_inode:[perf_event]");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"\((\d+) samples\)")]
    private static partial Regex SamplesWritten();

    private sealed class Session(ChildProcess process) : ToolSession
    {
        public override int? ProcessId => process.Pid;

        public override async Task<ToolOutcome> StopAsync(CancellationToken cancellationToken)
        {
            var samples = SamplesWritten().Match(await ToolProcess.InterruptAsync(process));
            return new ToolOutcome(samples.Success ? long.Parse(samples.Groups[1].Value, CultureInfo.InvariantCulture) : null, null, null);
        }
    }
}

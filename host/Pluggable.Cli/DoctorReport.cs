using Microsoft.Extensions.Logging.Abstractions;
using Pluggable.Host;
using Pluggable.Host.Doctor;

namespace Pluggable.Cli;

/// <summary>
/// <c>pluggable doctor [--pid N]</c>: every loaded sampler's setup checks, for this machine and, with <c>--pid</c>, for that
/// process, with why each matters and the fix; exit code 1 when any fails.
/// </summary>
internal static class DoctorReport
{
    public static int Print(ProfilerHostOptions options, TextWriter output)
    {
        using var engine = new EngineScope(ProfilerServer.CreateEngine(options, NullLoggerFactory.Instance));
        // Without --pid the engine's target is this short-lived process, which no one means to profile: machine checks only.
        var target = options.Pid is null ? null : engine.Engine.Target;
        output.WriteLine(target is null
            ? "Pluggable doctor, for this machine (add --pid to check a process too)"
            : $"Pluggable doctor, for {target.Name} (pid {target.Pid}{(target.RuntimeVersion is { } version ? $", .NET {version}" : "")})");
        var report = SetupDoctor.Run(engine.Engine.Registry, target, target is null ? [] : engine.Engine.EventTypes());
        foreach (var sampler in report)
        {
            output.WriteLine();
            output.WriteLine(sampler.Plugin);
            if (sampler.Checks.Count == 0)
            {
                output.WriteLine("  nothing it needs of the machine itself");
            }
            foreach (var check in sampler.Checks)
            {
                output.WriteLine($"  [{check.Status.ToString().ToLowerInvariant()}] {check.Name}: {check.Detail}");
                output.WriteLine($"         why: {check.Why}");
                if (check.Fix is { } fix)
                {
                    output.WriteLine($"         fix: {fix}");
                }
            }
        }
        return SetupDoctor.AnyFails(report) ? 1 : 0;
    }

    private sealed class EngineScope(Pluggable.Host.Engine.ProfilerEngine engine) : IDisposable
    {
        public Pluggable.Host.Engine.ProfilerEngine Engine { get; } = engine;

        public void Dispose() => Engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

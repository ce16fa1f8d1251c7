using Microsoft.Extensions.Logging.Abstractions;
using Pluggable.Host;
using Pluggable.Host.Doctor;

namespace Pluggable.Cli;

/// <summary><c>pluggable doctor</c>: every setup check for the target, with why it matters and the fix; exit code 1 when any fails.</summary>
internal static class DoctorReport
{
    public static int Print(ProfilerHostOptions options, TextWriter output)
    {
        using var engine = new EngineScope(ProfilerServer.CreateEngine(options, NullLoggerFactory.Instance));
        var target = engine.Engine.Target;
        output.WriteLine($"Pluggable doctor, for {target.Name} (pid {target.Pid}{(target.RuntimeVersion is { } version ? $", .NET {version}" : "")}{(target.IsSelf ? ", this process" : "")})");
        var checks = SetupDoctor.ForThisMachine().Run(target, engine.Engine.EventTypes());
        foreach (var check in checks)
        {
            output.WriteLine();
            output.WriteLine($"[{check.Status}] {check.Name}: {check.Detail}");
            output.WriteLine($"       why: {check.Why}");
            if (check.Fix is { } fix)
            {
                output.WriteLine($"       fix: {fix}");
            }
        }
        return checks.Any(c => c.Status == SetupCheck.Fail) ? 1 : 0;
    }

    private sealed class EngineScope(Pluggable.Host.Engine.ProfilerEngine engine) : IDisposable
    {
        public Pluggable.Host.Engine.ProfilerEngine Engine { get; } = engine;

        public void Dispose() => Engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

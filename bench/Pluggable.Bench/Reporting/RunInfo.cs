using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Pluggable.Bench.Reporting;

/// <summary>The machine a run measured.</summary>
public sealed record MachineInfo(int Cores, string Cpu, double MemoryGiB, string Kernel, string Os, string Runtime, string PerfEventParanoid);

/// <summary>What every result file says about the run that wrote it, so that figures are never read without their conditions.</summary>
/// <param name="Date">When the command started.</param>
/// <param name="Quick">True for a <c>--quick</c> smoke run, whose figures are not for comparison.</param>
/// <param name="Build">The harness's build configuration, which is that of the host and plugins it ran (Release, or Debug when run with --prebuilt).</param>
/// <param name="Commit">The repository's commit, with a note when the work tree had uncommitted changes.</param>
/// <param name="Machine">The machine.</param>
public sealed record RunInfo(DateTimeOffset Date, bool Quick, string Build, string Commit, MachineInfo Machine)
{
    public static RunInfo Now(bool quick) => new(
        DateTimeOffset.UtcNow,
        quick,
        typeof(RunInfo).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "unknown",
        GitCommit(),
        new MachineInfo(
            Environment.ProcessorCount,
            ProcLine("/proc/cpuinfo", "model name") ?? "unknown",
            Math.Round(double.Parse(ProcLine("/proc/meminfo", "MemTotal")?.Split(' ')[0] ?? "0", System.Globalization.CultureInfo.InvariantCulture) / (1 << 20), 1),
            File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            OsName(),
            RuntimeInformation.FrameworkDescription,
            File.ReadAllText("/proc/sys/kernel/perf_event_paranoid").Trim()));

    private static string? ProcLine(string file, string key) =>
        File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) is { } line ? line[(line.IndexOf(':') + 1)..].Trim() : null;

    private static string OsName() =>
        File.Exists("/etc/os-release") && File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)) is { } line
            ? line["PRETTY_NAME=".Length..].Trim('"')
            : RuntimeInformation.OSDescription;

    private static string GitCommit()
    {
        var commit = Git("rev-parse", "--short", "HEAD");
        if (commit is null)
        {
            return "unknown";
        }
        return string.IsNullOrWhiteSpace(Git("status", "--porcelain", "--untracked-files=no")) ? commit : $"{commit} + uncommitted changes";
    }

    private static string? Git(params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            using var git = Process.Start(start)!;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

using System.Globalization;
using Pluggable.Core.Platform;

namespace Pluggable.Procfs;

/// <summary>Capability numbers of <c>linux/capability.h</c>, as bits of a <c>CapEff</c> mask.</summary>
public static class Capability
{
    public const int IpcLock = 14;
    public const int SysPtrace = 19;
    public const int SysAdmin = 21;
    public const int Syslog = 34;
    public const int Perfmon = 38;
}

/// <summary>
/// What this process may do, as /proc tells it: sysctls, the status fields of a process (its owner, this process's
/// capabilities and seccomp mode), with one answer for a file that is missing or unreadable: null, never an exception.
/// The file reads are a seam, so tests hand in the text of a machine they describe.
/// </summary>
/// <param name="readFile">Reads a whole file; null when it is missing or unreadable.</param>
/// <param name="effectiveUserId">This process's effective user id.</param>
public sealed class ProcFiles(Func<string, string?> readFile, uint effectiveUserId)
{
    /// <summary>This machine's /proc, for this process.</summary>
    public static ProcFiles OfThisProcess { get; } = new(ReadOrNull, UnixFile.EffectiveUserId);

    public uint EffectiveUserId => effectiveUserId;

    public bool IsRoot => effectiveUserId == 0;

    /// <summary>The whole file; null when it is missing or unreadable.</summary>
    public string? Read(string path) => readFile(path);

    /// <summary>A sysctl's number, e.g. of <c>/proc/sys/kernel/perf_event_paranoid</c>; null when the file is missing or holds no number.</summary>
    public int? Sysctl(string path) =>
        int.TryParse(readFile(path)?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>A field of <c>/proc/&lt;process&gt;/status</c> (<c>self</c> for this one), e.g. <c>Seccomp</c>; null when the process or the field is not there.</summary>
    public string? StatusField(string process, string field) =>
        readFile($"/proc/{process}/status")?.Split('\n').FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal))?[(field.Length + 1)..].Trim();

    /// <summary>The effective user id a process runs as (the second of the four ids of <c>Uid:</c>); null when it cannot be read.</summary>
    public uint? OwnerOf(int pid) =>
        StatusField(pid.ToString(CultureInfo.InvariantCulture), "Uid")?.Split('\t', StringSplitOptions.RemoveEmptyEntries) is [_, var effective, ..]
        && uint.TryParse(effective, CultureInfo.InvariantCulture, out var uid) ? uid : null;

    /// <summary>Whether this process has <paramref name="capability"/> (one of <see cref="Capability"/>) in its effective set.</summary>
    public bool HasCapability(int capability) =>
        ulong.TryParse(StatusField("self", "CapEff"), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var effective)
        && (effective & (1UL << capability)) != 0;

    /// <summary>
    /// Root, or <paramref name="capability"/>: what the samplers count as allowed past a kernel restriction. Root in a
    /// container may lack the capability and still be refused; the sampler's probe, which tries, then says so.
    /// </summary>
    public bool IsRootOrHas(int capability) => IsRoot || HasCapability(capability);

    /// <summary>True when this process runs under a seccomp filter (<c>Seccomp: 2</c>), as in most containers: it may refuse calls whatever the sysctls allow.</summary>
    public bool IsSeccompFiltered => StatusField("self", "Seccomp") == "2";

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

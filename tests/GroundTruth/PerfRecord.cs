using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Pluggable.Core.Profiles;
using Pluggable.Symbolization;
using Pluggable.Unwinding;

namespace Pluggable.GroundTruth;

/// <summary>
/// <c>perf record -a -g</c> over a window, as Debian's linux-perf does it: the kernel's frame-pointer callchains of
/// every CPU, read back with <c>perf script</c> for one process. The target must write its perf map
/// (<c>DOTNET_PerfMapEnabled=1</c>): perf names jitted code from it only when the code is not in a file, and since
/// .NET 7 it is in the runtime's double-mapped memfd, so its frames are named here, by address, from the map.
/// </summary>
public static partial class PerfRecord
{
    public static bool IsInstalled => File.Exists("/usr/bin/perf");

    /// <summary>Records every CPU for <paramref name="duration"/> at <paramref name="frequency"/> Hz, and returns <paramref name="pid"/>'s samples.</summary>
    public static async Task<StackProfile> RecordAsync(int pid, TimeSpan duration, int frequency, string workFolder, CancellationToken cancellationToken = default)
    {
        var data = Path.Combine(workFolder, $"perf-{pid}-{Environment.TickCount64}.data");
        await RunAsync("perf", ["record", "-a", "-g", "-F", frequency.ToString(CultureInfo.InvariantCulture), "-o", data, "--", "sleep", duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)], null, cancellationToken);
        var script = Path.Combine(workFolder, Path.GetFileNameWithoutExtension(data) + ".script");
        await RunAsync("perf", ["script", "--show-mmap-events", "-i", data, "--pid", pid.ToString(CultureInfo.InvariantCulture)], script, cancellationToken);
        try
        {
            return Read(File.ReadLines(script), PerfMapFile.Read(PerfMapFile.PathFor(pid)).Select(e => (e.Start, e.Size, e.Name)));
        }
        finally
        {
            File.Delete(data);
            File.Delete(script);
        }
    }

    /// <summary>
    /// Reads <c>perf script --show-mmap-events</c> output: each sample's frames (leaf first, one per line), named as
    /// perf named them, except jitted code in the runtime's memfd, which perf shows by its offset in the memfd: that
    /// offset is taken back to an address through the memfd's executable mappings, and named from the perf map.
    /// </summary>
    public static StackProfile Read(IEnumerable<string> script, IEnumerable<(ulong Start, ulong Size, string Name)> perfMap)
    {
        var jitted = new SymbolTable(perfMap);
        var memfdViews = new List<(ulong Offset, ulong Length, ulong Start)>();
        var builder = new StackProfileBuilder(new ProfileMetadata { Event = "perf", Unit = KnownUnits.Samples });
        var frames = new List<int>();
        void EndSample()
        {
            if (frames.Count > 0)
            {
                frames.Reverse();
                builder.Add(frames.ToArray(), 1);
                frames.Clear();
            }
        }
        foreach (var line in script)
        {
            if (line.Contains("PERF_RECORD_MMAP2", StringComparison.Ordinal))
            {
                if (MemfdMapping().Match(line) is { Success: true } view && view.Groups["prot"].Value.Contains('x'))
                {
                    memfdViews.Add((Hex(view.Groups["offset"].Value), Hex(view.Groups["length"].Value), Hex(view.Groups["start"].Value)));
                }
                continue;
            }
            if (line.Length == 0 || !char.IsWhiteSpace(line[0]))
            {
                EndSample();
                continue;
            }
            if (FrameLine().Match(line) is not { Success: true } frame)
            {
                continue;
            }
            var address = Hex(frame.Groups["address"].Value);
            var symbol = frame.Groups["symbol"].Value;
            var module = frame.Groups["module"].Value;
            if (address >= NativeStackSymbolizer.KernelStart)
            {
                frames.Add(builder.Intern(symbol, FrameKind.Kernel));
            }
            else if (symbol == "[unknown]" && module.StartsWith("/memfd:doublemapper", StringComparison.Ordinal)
                && memfdViews.FirstOrDefault(v => address >= v.Offset && address < v.Offset + v.Length) is { Length: > 0 } view2
                && jitted.Lookup(view2.Start + address - view2.Offset) is { } method)
            {
                frames.Add(builder.Intern(method, JitCodeMap.KindOf(method) == JitCodeKind.Stub || method.StartsWith("[stub]", StringComparison.Ordinal) ? FrameKind.Runtime : FrameKind.Managed));
            }
            else
            {
                frames.Add(builder.Intern(symbol == "[unknown]" ? $"[unknown] {Path.GetFileName(module)}" : symbol, FrameKind.Native));
            }
        }
        EndSample();
        return builder.Build();
    }

    private static ulong Hex(string text) => text is "0" ? 0 : ulong.Parse(text.StartsWith("0x", StringComparison.Ordinal) ? text[2..] : text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static async Task RunAsync(string program, IEnumerable<string> arguments, string? outputFile, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        if (outputFile is null)
        {
            await process.StandardOutput.ReadToEndAsync(cancellationToken);
        }
        else
        {
            await using var output = File.Create(outputFile);
            await process.StandardOutput.BaseStream.CopyToAsync(output, cancellationToken);
        }
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await errors}");
        }
    }

    // "dotnet 0 [000] 0.000000: PERF_RECORD_MMAP2 9380/9380: [0x7fb386830000(0x1000) @ 0xe000 00:01 121 0]: r-xs /memfd:doublemapper (deleted)"
    [GeneratedRegex(@"\[0x(?<start>[0-9a-f]+)\(0x(?<length>[0-9a-f]+)\) @ (?<offset>0x[0-9a-f]+|0) [^\]]*\]: (?<prot>\S+) /memfd:doublemapper")]
    private static partial Regex MemfdMapping();

    // "\t    7f1c2a0123ab start_thread+0x1e (/usr/lib/x86_64-linux-gnu/libc.so.6)", the symbol "[unknown]" when perf has none.
    [GeneratedRegex(@"^\s+(?<address>[0-9a-f]+) (?<symbol>.*?)(\+0x[0-9a-f]+)? \((?<module>.*)\)$")]
    private static partial Regex FrameLine();
}

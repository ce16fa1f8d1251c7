using System.Globalization;
using System.Text;

namespace Pluggable.Core.Profiles;

/// <summary>A line of folded text that could not be read, with its 1-based line number.</summary>
public sealed record FoldedLineError(int Line, string Message)
{
    public override string ToString() => $"line {Line}: {Message}";
}

/// <summary>A profile read from folded text, and every line that did not parse.</summary>
public sealed record FoldedReadResult(StackProfile Profile, IReadOnlyList<FoldedLineError> Errors);

/// <summary>
/// The keys of the <c># key: value</c> lines that <see cref="FoldedFormat"/> writes for <see cref="ProfileMetadata"/>'s
/// own fields; a profile's <see cref="ProfileMetadata.Properties"/> follow under their own keys.
/// </summary>
public static class FoldedHeaderKeys
{
    public const string Event = "event";
    public const string Unit = "unit";
    public const string Samples = "samples";
    public const string Interval = "interval";
    public const string TargetPid = "target-pid";
    public const string TargetName = "target-name";
    public const string Start = "start";
    public const string End = "end";
    public const string Partial = "partial";

    /// <summary>Every key above: a header line under any other key is a property.</summary>
    internal static readonly HashSet<string> All = [Event, Unit, Samples, Interval, TargetPid, TargetName, Start, End, Partial];
}

/// <summary>
/// The raw TXT format: one stack per line, frames root first joined by <c>;</c>, then a space and the weight
/// (<c>Main;Run;Parse 123</c>). Metadata travels as <c># key: value</c> lines at the top; other <c>#</c> lines are
/// comments. A frame's kind other than managed is kept as an async-profiler style suffix (<c>do_syscall_64_[k]</c>).
/// </summary>
public static class FoldedFormat
{
    private static readonly (FrameKind Kind, string Suffix)[] KindSuffixes =
    [
        (FrameKind.Native, "_[n]"),
        (FrameKind.Kernel, "_[k]"),
        (FrameKind.Runtime, "_[r]"),
        (FrameKind.Synthetic, "_[s]"),
    ];

    public static async Task WriteAsync(StackProfile profile, TextWriter writer, CancellationToken cancellationToken = default)
    {
        await writer.WriteAsync(HeaderOf(profile.Metadata, profile.SampleCount).AsMemory(), cancellationToken);
        var encoded = profile.Frames.Select(Encode).ToArray();
        var line = new StringBuilder(256);
        foreach (var stack in profile.Stacks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            line.Clear();
            for (var i = 0; i < stack.Frames.Length; i++)
            {
                if (i > 0)
                {
                    line.Append(';');
                }
                line.Append(encoded[stack.Frames[i]]);
            }
            line.Append(' ').Append(stack.Weight.ToString(CultureInfo.InvariantCulture)).Append('\n');
            await writer.WriteAsync(line, cancellationToken);
        }
    }

    public static async Task WriteAsync(StackProfile profile, Stream stream, CancellationToken cancellationToken = default)
    {
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        await WriteAsync(profile, writer, cancellationToken);
    }

    public static string Write(StackProfile profile)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteAsync(profile, writer).GetAwaiter().GetResult();
        return writer.ToString();
    }

    /// <summary>Reads folded text. Lines that do not parse are left out of the profile and reported in <see cref="FoldedReadResult.Errors"/>.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="fallbackEvent">The event to record when the text carries no <see cref="FoldedHeaderKeys.Event"/> header (folded text from another tool).</param>
    public static FoldedReadResult Read(TextReader reader, string fallbackEvent = "unknown")
    {
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<FoldedLineError>();
        var builder = new StackProfileBuilder(new ProfileMetadata { Event = fallbackEvent });
        var ids = new List<int>(64);
        var lineNumber = 0;
        var inHeader = true;
        while (reader.ReadLine() is { } raw)
        {
            lineNumber++;
            var line = raw.AsSpan().TrimEnd();
            if (line.IsEmpty)
            {
                continue;
            }
            if (line[0] == '#')
            {
                if (inHeader && TryParseHeader(line, out var key, out var value))
                {
                    header[key] = value;
                }
                continue;
            }
            inHeader = false;
            if (TryParseStack(line, builder, ids, out var weight, out var error))
            {
                builder.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids), weight);
            }
            else
            {
                errors.Add(new FoldedLineError(lineNumber, error));
            }
        }
        builder.Metadata = MetadataOf(header, fallbackEvent);
        return new FoldedReadResult(builder.Build(), errors);
    }

    public static FoldedReadResult Read(string text, string fallbackEvent = "unknown") =>
        Read(new StringReader(text), fallbackEvent);

    /// <summary>Reads only the <c># key: value</c> header, cheaply, for listing stored files without parsing their stacks.</summary>
    public static IReadOnlyDictionary<string, string> ReadHeader(TextReader reader)
    {
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line && line.StartsWith('#'))
        {
            if (TryParseHeader(line, out var key, out var value))
            {
                header[key] = value;
            }
        }
        return header;
    }

    /// <summary>A frame as it appears in folded text: its name with the kind suffix.</summary>
    public static string Encode(Frame frame)
    {
        foreach (var (kind, suffix) in KindSuffixes)
        {
            if (kind == frame.Kind)
            {
                return frame.Name + suffix;
            }
        }
        return frame.Name;
    }

    /// <summary>The inverse of <see cref="Encode"/>.</summary>
    public static Frame Decode(ReadOnlySpan<char> text)
    {
        var kind = DecodeSpan(text, out var name);
        return new Frame(name.ToString(), kind);
    }

    private static FrameKind DecodeSpan(ReadOnlySpan<char> text, out ReadOnlySpan<char> name)
    {
        if (text.Length > 4 && text[^4] == '_' && text[^3] == '[' && text[^1] == ']')
        {
            foreach (var (kind, suffix) in KindSuffixes)
            {
                if (text.EndsWith(suffix, StringComparison.Ordinal))
                {
                    name = text[..^suffix.Length];
                    return kind;
                }
            }
        }
        name = text;
        return FrameKind.Managed;
    }

    private static bool TryParseStack(ReadOnlySpan<char> line, StackProfileBuilder builder, List<int> ids, out long weight, out string error)
    {
        ids.Clear();
        weight = 0;
        var space = line.LastIndexOf(' ');
        if (space <= 0)
        {
            error = "expected 'frame;frame;... weight', found no weight";
            return false;
        }
        var number = line[(space + 1)..];
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out weight))
        {
            error = $"the weight '{Shorten(number)}' is not a non-negative whole number";
            return false;
        }
        var stack = line[..space].TrimEnd();
        foreach (var range in stack.Split(';'))
        {
            var frame = stack[range];
            if (frame.IsEmpty)
            {
                error = "the stack has an empty frame (two ';' in a row, or one at an end)";
                return false;
            }
            var kind = DecodeSpan(frame, out var name);
            ids.Add(builder.Intern(name, kind));
        }
        error = "";
        return true;
    }

    private static string Shorten(ReadOnlySpan<char> text) => text.Length <= 40 ? text.ToString() : text[..40].ToString() + "…";

    private static bool TryParseHeader(ReadOnlySpan<char> line, out string key, out string value)
    {
        key = value = "";
        var body = line[1..].Trim();
        var colon = body.IndexOf(':');
        if (colon <= 0)
        {
            return false;
        }
        var name = body[..colon];
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }
        key = name.ToString();
        value = body[(colon + 1)..].Trim().ToString();
        return true;
    }

    private static string HeaderOf(ProfileMetadata metadata, long samples)
    {
        var header = new StringBuilder();
        void Line(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                header.Append("# ").Append(key).Append(": ").Append(value.ReplaceLineEndings(" ")).Append('\n');
            }
        }
        Line(FoldedHeaderKeys.Event, metadata.Event);
        Line(FoldedHeaderKeys.Unit, metadata.Unit);
        Line(FoldedHeaderKeys.Samples, samples.ToString(CultureInfo.InvariantCulture));
        Line(FoldedHeaderKeys.Interval, metadata.Interval);
        Line(FoldedHeaderKeys.TargetPid, metadata.TargetPid?.ToString(CultureInfo.InvariantCulture));
        Line(FoldedHeaderKeys.TargetName, metadata.TargetName);
        Line(FoldedHeaderKeys.Start, metadata.Start?.ToString("O", CultureInfo.InvariantCulture));
        Line(FoldedHeaderKeys.End, metadata.End?.ToString("O", CultureInfo.InvariantCulture));
        Line(FoldedHeaderKeys.Partial, metadata.Partial ? "true" : null);
        foreach (var (key, value) in metadata.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Line(key, value);
        }
        return header.ToString();
    }

    private static ProfileMetadata MetadataOf(Dictionary<string, string> header, string fallbackEvent)
    {
        T? Parse<T>(string key, Func<string, T?> parse) where T : struct =>
            header.TryGetValue(key, out var text) ? parse(text) : null;
        return new ProfileMetadata
        {
            Event = header.GetValueOrDefault(FoldedHeaderKeys.Event) ?? fallbackEvent,
            Unit = header.GetValueOrDefault(FoldedHeaderKeys.Unit) ?? KnownUnits.Samples,
            Samples = Parse(FoldedHeaderKeys.Samples, t => long.TryParse(t, CultureInfo.InvariantCulture, out var v) ? v : (long?)null),
            Interval = header.GetValueOrDefault(FoldedHeaderKeys.Interval),
            TargetPid = Parse(FoldedHeaderKeys.TargetPid, t => int.TryParse(t, CultureInfo.InvariantCulture, out var v) ? v : (int?)null),
            TargetName = header.GetValueOrDefault(FoldedHeaderKeys.TargetName),
            Start = Parse(FoldedHeaderKeys.Start, t => DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.None, out var v) ? v : (DateTimeOffset?)null),
            End = Parse(FoldedHeaderKeys.End, t => DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.None, out var v) ? v : (DateTimeOffset?)null),
            Partial = header.GetValueOrDefault(FoldedHeaderKeys.Partial) == "true",
            Properties = header.Where(p => !FoldedHeaderKeys.All.Contains(p.Key)).ToDictionary(),
        };
    }
}

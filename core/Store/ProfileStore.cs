using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pluggable.Core.Platform;
using Pluggable.Core.Profiles;

namespace Pluggable.Core.Store;

/// <summary>Kinds of stored file besides the renderer names (flamegraph, diffgraph, ...).</summary>
public static class KnownFileKinds
{
    /// <summary>The raw folded text, as sampled, before any transform.</summary>
    public const string Raw = "raw";
}

/// <summary>A file in the results folder, as the list shows it.</summary>
/// <param name="Id">The profile id (for a comparison, the "before" profile).</param>
/// <param name="Other">For a comparison, the "after" profile's id; otherwise null.</param>
/// <param name="Event">The event type, or for a comparison the "after" profile's event type when it is still stored.</param>
/// <param name="Kind"><see cref="KnownFileKinds.Raw"/> or the renderer's name.</param>
/// <param name="Name">The file name, which is also its address under <c>/profiles/</c>.</param>
/// <param name="Samples">The sample count of the profile behind the file (for a comparison, of "after").</param>
/// <param name="Bytes">The file's size.</param>
/// <param name="Created">When the file was written, from its name (UTC, to the second).</param>
public sealed record StoredFile(int Id, int? Other, string Event, string Kind, string Name, long Samples, long Bytes, DateTimeOffset Created)
{
    /// <summary>When the profile behind the file has no samples or too few to trust: why, and what to do (from its <see cref="ProfileMetadata.LowConfidenceProperty"/> header).</summary>
    public string? LowConfidence { get; init; }
}

/// <summary>
/// The results folder. Profile ids are small increasing integers that continue after a restart; files are named
/// <c>&lt;id&gt;-&lt;event&gt;-&lt;yyyyMMdd-HHmmss&gt;.txt</c> (raw), <c>&lt;id&gt;-&lt;event&gt;-&lt;kind&gt;-&lt;...&gt;.&lt;ext&gt;</c> (rendered)
/// and <c>&lt;before&gt;-&lt;after&gt;-&lt;kind&gt;-&lt;...&gt;.&lt;ext&gt;</c> (comparisons). Every write goes to a temporary file that is
/// renamed into place, so a crash never leaves a torn file under a listed name. After every write the folder is brought
/// back under its size limit (<see cref="MaxBytes"/>). Only regular files with one link whose
/// names follow the scheme (with a real date) are listed, and only listed files are ever opened or deleted: whatever
/// else is in the folder (a FIFO, a hard link to a file elsewhere, a name with a date that is none) is skipped, logged
/// once. Thread-safe.
/// </summary>
public sealed partial class ProfileStore
{
    private const string TimestampFormat = "yyyyMMdd-HHmmss";
    private const string TempPrefix = ".tmp-";

    private readonly Lock _idLock = new();
    private readonly Lock _limitLock = new();
    private readonly Dictionary<int, int> _holds = [];
    private readonly ConcurrentDictionary<string, (long Length, DateTime Modified, RawHeader Header)> _headers = new();
    private readonly ConcurrentDictionary<string, string> _skipped = new();
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private int _lastId;

    /// <param name="folder">The results folder; created when missing.</param>
    /// <param name="clock">For file names; the system clock when null.</param>
    /// <param name="maxBytes">The most the listed files may take together; every write that takes the folder past it removes the oldest files (see <see cref="MaxBytes"/>).</param>
    /// <param name="logger">Where skipped and removed files are reported; nowhere when null.</param>
    public ProfileStore(string folder, TimeProvider? clock = null, long maxBytes = long.MaxValue, ILogger? logger = null)
    {
        Folder = Path.GetFullPath(folder);
        _clock = clock ?? TimeProvider.System;
        MaxBytes = maxBytes;
        _logger = logger ?? NullLogger.Instance;
        Directory.CreateDirectory(Folder);
        RemoveLeftoverTempFiles();
        _lastId = List().Select(f => Math.Max(f.Id, f.Other ?? 0)).DefaultIfEmpty(0).Max();
    }

    public string Folder { get; }

    /// <summary>
    /// The most the listed files may take together. A write that takes the folder past it removes, oldest first, whole
    /// profiles (every file of an id) that are not in use, then the older renders of those in use, which can be made
    /// again. In use: the profiles the write belongs to, those <see cref="Hold"/> keeps, and the newest profile. Their
    /// raw files and the file just written are never removed, even when they alone are over the limit.
    /// </summary>
    public long MaxBytes { get; }

    /// <summary>
    /// Keeps the profiles of <paramref name="ids"/> from being removed by the size limit until the result is disposed:
    /// a request that renders from a profile holds it from reading it to storing what it rendered.
    /// </summary>
    public IDisposable Hold(params IReadOnlyList<int> ids)
    {
        lock (_limitLock)
        {
            foreach (var id in ids)
            {
                _holds[id] = _holds.GetValueOrDefault(id) + 1;
            }
        }
        return new ProfileHold(this, ids);
    }

    private sealed class ProfileHold(ProfileStore store, IReadOnlyList<int> ids) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
            {
                return;
            }
            lock (store._limitLock)
            {
                foreach (var id in ids)
                {
                    if (--store._holds[id] == 0)
                    {
                        store._holds.Remove(id);
                    }
                }
            }
        }
    }

    /// <summary>Brings the folder back under <see cref="MaxBytes"/> after <paramref name="written"/> was stored, as <see cref="MaxBytes"/> says.</summary>
    private void KeepUnderLimit(StoredFile written)
    {
        lock (_limitLock)
        {
            var files = List();
            var total = files.Sum(f => f.Bytes);
            if (total <= MaxBytes)
            {
                return;
            }
            var inUse = new HashSet<int>(_holds.Keys) { written.Id, files.Where(f => f.Kind == KnownFileKinds.Raw).Select(f => f.Id).DefaultIfEmpty(written.Id).Max() };
            if (written.Other is { } other)
            {
                inUse.Add(other);
            }
            var wholeProfiles = files.Where(f => !inUse.Contains(f.Id)).GroupBy(f => f.Id).OrderBy(g => g.Key);
            var renders = files.Where(f => inUse.Contains(f.Id) && f.Kind != KnownFileKinds.Raw && f.Name != written.Name)
                .OrderBy(f => f.Created).ThenBy(f => f.Name, StringComparer.Ordinal).Select(f => new[] { f });
            var removed = new List<StoredFile>();
            try
            {
                foreach (var group in wholeProfiles.Concat<IEnumerable<StoredFile>>(renders))
                {
                    if (total <= MaxBytes)
                    {
                        break;
                    }
                    foreach (var file in group)
                    {
                        Remove(file);
                        total -= file.Bytes;
                        removed.Add(file);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The write itself succeeded; a folder that refuses deletions only stays over its limit.
                _logger.LogWarning("Could not remove files to keep the results folder {Folder} under its limit: {Message}", Folder, e.Message);
            }
            if (removed.Count > 0)
            {
                _logger.LogWarning("The results folder passed its size limit ({Limit} bytes): removed {Files}", MaxBytes, string.Join(", ", removed.Select(f => f.Name)));
            }
            if (total > MaxBytes)
            {
                _logger.LogWarning("The results folder holds {Total} bytes, over its limit of {Limit}: what is left belongs to profiles in use ({Ids})", total, MaxBytes, string.Join(", ", inUse.Order()));
            }
        }
    }

    /// <summary>Reserves the next profile id.</summary>
    public int NextId()
    {
        lock (_idLock)
        {
            return ++_lastId;
        }
    }

    /// <summary>Stores a profile's raw folded text under a new id.</summary>
    public async Task<StoredFile> SaveRawAsync(StackProfile profile, CancellationToken cancellationToken = default)
    {
        var id = NextId();
        var name = await WriteAtomicallyAsync(ts => $"{id}-{profile.Metadata.Event}-{ts}.txt", (stream, ct) => FoldedFormat.WriteAsync(profile, stream, ct), cancellationToken);
        return Stored(name);
    }

    /// <summary>Stores a rendered file for one profile (<paramref name="ids"/> of one) or a comparison (two: before, after).</summary>
    public async Task<StoredFile> SaveRenderedAsync(
        IReadOnlyList<int> ids, string eventType, string kind, string extension,
        Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        var subject = ids.Count switch
        {
            1 => $"{ids[0]}-{eventType}",
            2 => $"{ids[0]}-{ids[1]}",
            _ => throw new ArgumentException("a rendered file belongs to one profile or to two", nameof(ids)),
        };
        if (!FileNamePattern().IsMatch($"{subject}-{kind}-{Timestamp(_clock.GetUtcNow())}.{extension}"))
        {
            throw new ArgumentException($"'{kind}' and '{extension}' do not fit the store's naming scheme");
        }
        var name = await WriteAtomicallyAsync(ts => $"{subject}-{kind}-{ts}.{extension}", write, cancellationToken);
        return Stored(name);
    }

    private StoredFile Stored(string name)
    {
        var file = Find(name) ?? throw new IOException($"{name} vanished right after it was written");
        KeepUnderLimit(file);
        return file;
    }

    /// <summary>Every stored file, newest first.</summary>
    public IReadOnlyList<StoredFile> List()
    {
        var names = Directory.EnumerateFiles(Folder).Select(path => Path.GetFileName(path)).ToArray();
        // A rendered file's samples come from its profile's raw file: found here once, not by a folder scan per file.
        var rawFiles = new Dictionary<int, string>();
        foreach (var name in names)
        {
            if (RawIdOf(name) is { } id)
            {
                rawFiles.TryAdd(id, name);
            }
        }
        return names.Select(name => Describe(name, rawFiles.GetValueOrDefault)).OfType<StoredFile>()
            .OrderByDescending(f => f.Created).ThenByDescending(f => f.Id).ThenBy(f => f.Name, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The stored file of this name, or null when the store does not list it (wrong scheme, a link, a path, absent).</summary>
    public StoredFile? Find(string name) => IsPlainName(name) ? Describe(name, RawFileOf) : null;

    /// <summary>Opens a listed file for reading, with its listing; null when the store does not list <paramref name="name"/>.</summary>
    public (StoredFile File, Stream Content)? OpenRead(string name) =>
        Find(name) is { } file && UnixFile.OpenPlainFile(Path.Combine(Folder, name)) is { } content ? (file, content) : null;

    /// <summary>Reads the raw profile of an id; null when no raw file of that id is stored.</summary>
    public async Task<FoldedReadResult?> ReadProfileAsync(int id, CancellationToken cancellationToken = default)
    {
        if (RawFileOf(id) is not { } name || Find(name) is not { } raw || UnixFile.OpenPlainFile(Path.Combine(Folder, raw.Name)) is not { } content)
        {
            return null;
        }
        using var reader = new StreamReader(content);
        return FoldedFormat.Read(await reader.ReadToEndAsync(cancellationToken), raw.Event);
    }

    /// <summary>Deletes every file of one profile id (its raw file, its renders and the comparisons it is the "before" of); returns how many.</summary>
    public int Delete(int id) => DeleteWhere(f => f.Id == id);

    /// <summary>Deletes every stored file; returns how many.</summary>
    public int DeleteAll() => DeleteWhere(_ => true);

    private int DeleteWhere(Func<StoredFile, bool> predicate)
    {
        var deleted = 0;
        foreach (var file in List().Where(predicate))
        {
            Remove(file);
            deleted++;
        }
        return deleted;
    }

    private void Remove(StoredFile file)
    {
        File.Delete(Path.Combine(Folder, file.Name));
        _headers.TryRemove(file.Name, out _);
    }

    /// <summary>
    /// Writes to a temporary file, then renames it to the name <paramref name="nameAt"/> gives for the current time.
    /// When that name is taken (a second render of one profile within the same second), the next second's name is used,
    /// so no file is ever replaced.
    /// </summary>
    private async Task<string> WriteAtomicallyAsync(Func<string, string> nameAt, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(Folder, $"{TempPrefix}{Guid.NewGuid():N}");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }
            for (var time = _clock.GetUtcNow(); ; time = time.AddSeconds(1))
            {
                var name = nameAt(Timestamp(time));
                try
                {
                    File.Move(temp, Path.Combine(Folder, name), overwrite: false);
                    return name;
                }
                catch (IOException) when (File.Exists(Path.Combine(Folder, name)))
                {
                    // Taken: try the next second.
                }
            }
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Describes a file the store lists; <paramref name="rawFileOf"/> names the raw file of an id, for a rendered file's samples.</summary>
    private StoredFile? Describe(string name, Func<int, string?> rawFileOf)
    {
        var match = FileNamePattern().Match(name);
        if (!match.Success || UnixFile.Status(Path.Combine(Folder, name)) is not { } status)
        {
            return null;
        }
        var kind = match.Groups["kind"].Success ? match.Groups["kind"].Value : KnownFileKinds.Raw;
        if (kind == KnownFileKinds.Raw && (match.Groups["ext"].Value != "txt" || match.Groups["other"].Success))
        {
            return null;
        }
        if (!DateTimeOffset.TryParseExact(match.Groups["ts"].Value, TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
        {
            return Skip(name, $"its name's date, {match.Groups["ts"].Value}, is no date");
        }
        if (status.Type != UnixFileType.Regular)
        {
            return Skip(name, $"it is not a regular file but a {status.Type.ToString().ToLowerInvariant()} entry");
        }
        if (status.Links != 1)
        {
            return Skip(name, $"it has {status.Links} hard links, so it is also a file elsewhere");
        }
        var id = int.Parse(match.Groups["id"].Value, CultureInfo.InvariantCulture);
        int? other = match.Groups["other"].Success ? int.Parse(match.Groups["other"].Value, CultureInfo.InvariantCulture) : null;
        var header = kind == KnownFileKinds.Raw ? HeaderOf(name, status)
            : rawFileOf(other ?? id) is { } raw && UnixFile.Status(Path.Combine(Folder, raw)) is { } rawStatus ? HeaderOf(raw, rawStatus)
            : RawHeader.None;
        var eventType = match.Groups["event"].Success ? match.Groups["event"].Value : header.Event;
        return new StoredFile(id, other, eventType, kind, name, header.Samples, status.Size, created) { LowConfidence = header.LowConfidence };
    }

    /// <summary>Leaves a file named like a profile out of the listing, saying why once per name (the page lists every few seconds).</summary>
    private StoredFile? Skip(string name, string reason)
    {
        if (_skipped.TryAdd(name, reason))
        {
            _logger.LogWarning("Not listing {Name} in the results folder {Folder}: {Reason}", name, Folder, reason);
        }
        return null;
    }

    /// <summary>What the listing needs from a raw file's header.</summary>
    private sealed record RawHeader(long Samples, string Event, string? LowConfidence)
    {
        public static readonly RawHeader None = new(0, "", null);
    }

    /// <summary>The name of the raw file of this id, if one is in the folder.</summary>
    private string? RawFileOf(int id) =>
        Directory.EnumerateFiles(Folder, $"{id}-*.txt").Select(path => Path.GetFileName(path)).FirstOrDefault(name => RawIdOf(name) == id);

    /// <summary>The id, when <paramref name="name"/> follows the naming scheme of a raw file.</summary>
    private static int? RawIdOf(string name)
    {
        var match = FileNamePattern().Match(name);
        return match.Success && !match.Groups["kind"].Success && !match.Groups["other"].Success && match.Groups["ext"].Value == "txt"
            ? int.Parse(match.Groups["id"].Value, CultureInfo.InvariantCulture)
            : null;
    }

    private RawHeader HeaderOf(string name, UnixFileStatus status)
    {
        if (_headers.TryGetValue(name, out var cached) && cached.Length == status.Size && cached.Modified == status.LastWriteTimeUtc)
        {
            return cached.Header;
        }
        long samples;
        IReadOnlyDictionary<string, string> header;
        try
        {
            using var content = UnixFile.OpenPlainFile(Path.Combine(Folder, name));
            if (content is null)
            {
                return RawHeader.None;
            }
            using var reader = new StreamReader(content);
            header = FoldedFormat.ReadHeader(reader);
            if (!(header.TryGetValue(FoldedHeaderKeys.Samples, out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out samples)))
            {
                // Folded text from elsewhere carries no count: read it whole, once (the result is cached).
                reader.BaseStream.Position = 0;
                reader.DiscardBufferedData();
                samples = FoldedFormat.Read(reader).Profile.SampleCount;
            }
        }
        catch (IOException)
        {
            return RawHeader.None;
        }
        var result = new RawHeader(samples, header.GetValueOrDefault(FoldedHeaderKeys.Event) ?? "", header.GetValueOrDefault(ProfileMetadata.LowConfidenceProperty));
        _headers[name] = (status.Size, status.LastWriteTimeUtc, result);
        return result;
    }

    private static string Timestamp(DateTimeOffset time) => time.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    private static bool IsPlainName(string name) =>
        name.Length is > 0 and < 256 && name == Path.GetFileName(name) && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;

    private void RemoveLeftoverTempFiles()
    {
        foreach (var path in Directory.EnumerateFiles(Folder, TempPrefix + "*"))
        {
            File.Delete(path);
        }
    }

    [GeneratedRegex(@"^(?<id>[1-9][0-9]{0,8})-(?:(?<other>[1-9][0-9]{0,8})|(?<event>[a-z][a-z0-9_]*))(?:-(?<kind>[a-z][a-z0-9_]*))?-(?<ts>[0-9]{8}-[0-9]{6})\.(?<ext>[a-z0-9]{1,10}(?:\.[a-z0-9]{1,4})?)$")]
    private static partial Regex FileNamePattern();
}

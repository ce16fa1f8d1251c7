using System.Globalization;
using System.Net;
using System.Threading.Channels;
using ELFSharp.ELF;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Pluggable.Symbolization;

/// <summary>Where the fetch of one debug file stands.</summary>
public enum FetchState
{
    /// <summary>Queued or being downloaded; the next profile may have it.</summary>
    Pending,

    /// <summary>Not fetched; <see cref="SymbolFetch.Reason"/> says why, and it is not asked for again for a while.</summary>
    Failed,
}

/// <param name="State">Where it stands.</param>
/// <param name="Reason">What a profile's reader is told about the library's missing names.</param>
public sealed record SymbolFetch(FetchState State, string Reason);

/// <summary>
/// Fetches debug files by build id from a symbol server (the SSQP layout that dotnet-symbol uses, as on Microsoft's
/// server) into a cache folder of the same layout, in the background and one at a time, so that a stop never waits on
/// the network: a profile names what is on disk and asks for the rest, and the next profile finds it in the cache.
/// A file is kept only when it is an ELF file with the build id asked for, written under a temporary name and renamed
/// into place, so a reader never sees half a file. Failures are remembered for <c>retryAfter</c>: a server that is
/// down, or lacks a file, is not asked again at every profile.
/// </summary>
public sealed class SymbolServer : IAsyncDisposable
{
    private const int MaxQueued = 64;

    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _retryAfter;
    private readonly long _maxFileBytes;
    private readonly ILogger _logger;
    private readonly Channel<(BuildId Id, string Key)> _queue = Channel.CreateBounded<(BuildId, string)>(MaxQueued);
    private readonly Dictionary<BuildId, (SymbolFetch Fetch, DateTimeOffset Until)> _fetches = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly Task _worker;
    private (string Reason, DateTimeOffset Until)? _down;

    /// <param name="address">The server's URL, ending in a slash; keys are relative to it.</param>
    /// <param name="cache">The folder fetched files go to, as <c>_.debug/elf-buildid-sym-&lt;id&gt;/_.debug</c>.</param>
    /// <param name="logger">Where fetches and their failures are logged.</param>
    /// <param name="timeout">The most one file may take; default 10 minutes (libcoreclr.so.dbg is large).</param>
    /// <param name="retryAfter">How long a failure is remembered; default 15 minutes.</param>
    /// <param name="maxFileBytes">A larger file is refused, so a wrong server cannot fill the disk; default 2 GiB.</param>
    public SymbolServer(Uri address, string cache, ILogger? logger = null, TimeSpan? timeout = null, TimeSpan? retryAfter = null, long maxFileBytes = 2L << 30)
    {
        Address = address;
        Cache = cache;
        _logger = logger ?? NullLogger.Instance;
        _timeout = timeout ?? TimeSpan.FromMinutes(10);
        _retryAfter = retryAfter ?? TimeSpan.FromMinutes(15);
        _maxFileBytes = maxFileBytes;
        // Each fetch has its own deadline (_timeout), which covers reading the body too, unlike HttpClient.Timeout with a streamed body.
        _client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = Timeout.InfiniteTimeSpan };
        _worker = Task.Run(WorkAsync);
    }

    public Uri Address { get; }

    public string Cache { get; }

    /// <summary>
    /// Where the debug file of a build id stands; queues its fetch when none is pending or remembered as failed. Never
    /// waits on the network. The file, once fetched, is in <see cref="Cache"/> under its SSQP key.
    /// </summary>
    public SymbolFetch Request(BuildId id)
    {
        if (id.SymbolFileKey is not { } key)
        {
            return new SymbolFetch(FetchState.Failed, $"its build id {id.Hex} is too short or too long for a symbol server's key");
        }
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            if (_fetches.TryGetValue(id, out var known) && (known.Fetch.State == FetchState.Pending || known.Until > now))
            {
                return known.Fetch;
            }
            if (ServerDown(now) is { } down)
            {
                return Remember(id, Failed(down.Reason, down.Until), down.Until);
            }
            if (!_queue.Writer.TryWrite((id, key)))
            {
                // Not remembered: a later profile asks again once the queue has drained.
                return new SymbolFetch(FetchState.Failed, $"not fetched: {MaxQueued} debug files are waiting for {Address} already");
            }
            return Remember(id, new SymbolFetch(FetchState.Pending, $"being fetched from {Address} for the next profile"), DateTimeOffset.MaxValue);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _disposed.CancelAsync();
        await _worker;
        _client.Dispose();
        _disposed.Dispose();
    }

    private (string Reason, DateTimeOffset Until)? ServerDown(DateTimeOffset now) => _down is { } down && down.Until > now ? down : null;

    private SymbolFetch Remember(BuildId id, SymbolFetch fetch, DateTimeOffset until)
    {
        _fetches[id] = (fetch, until);
        return fetch;
    }

    private static SymbolFetch Failed(string reason, DateTimeOffset until) =>
        new(FetchState.Failed, $"{reason}; asked again after {until.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture)}");

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var (id, key) in _queue.Reader.ReadAllAsync(_disposed.Token))
            {
                try
                {
                    await FetchAsync(id, key);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The worker must outlive any one file, or every later fetch would stay pending for good.
                    _logger.LogError(e, "Fetching the debug file of build id {BuildId} failed", id.Hex);
                    Fail(id, $"fetching it failed: {e.Message}", serverIsDown: false);
                }
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            // Disposed: what is still queued is asked for again by whoever runs next.
        }
    }

    private async Task FetchAsync(BuildId id, string key)
    {
        lock (_lock)
        {
            // It went down while this file waited in the queue.
            if (ServerDown(DateTimeOffset.UtcNow) is { } down)
            {
                Remember(id, Failed(down.Reason, down.Until), down.Until);
                return;
            }
        }
        var target = Path.Combine(Cache, key);
        var temp = Path.Combine(Cache, $".fetching-{id.Hex}-{Guid.NewGuid():N}.tmp");
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            deadline.CancelAfter(_timeout);
            if (await DownloadAsync(new Uri(Address, key), id, temp, deadline.Token) is { } problem)
            {
                Fail(id, problem.Reason, problem.ServerIsDown);
                return;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            // Atomic within the cache's file system: a reader sees no file or the whole file. Another sampler's fetch may have put the same file there first.
            File.Move(temp, target, overwrite: true);
            lock (_lock)
            {
                _fetches.Remove(id);
            }
            _logger.LogInformation("Fetched the debug file of build id {BuildId} from {Server} into {Path}", id.Hex, Address, target);
        }
        catch (OperationCanceledException) when (!_disposed.IsCancellationRequested)
        {
            Fail(id, $"{Address} did not send it within {_timeout.TotalSeconds:0} s", serverIsDown: true);
        }
        catch (HttpRequestException e)
        {
            Fail(id, $"{Address} could not be reached: {e.Message}", serverIsDown: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A connection broken mid-file and a full or read-only cache both end here; the message tells which.
            Fail(id, $"fetching it from {Address} into {Cache} failed: {e.Message}", serverIsDown: false);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Downloads into <paramref name="temp"/>; returns why the server's answer is not the debug file of <paramref name="id"/>,
    /// and whether the server as a whole is failing (so that no other file is asked for a while), or null.
    /// </summary>
    private async Task<(string Reason, bool ServerIsDown)?> DownloadAsync(Uri uri, BuildId id, string temp, CancellationToken cancellationToken)
    {
        using var response = await _client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return ($"{Address} does not have it", false);
        }
        if (!response.IsSuccessStatusCode)
        {
            return ($"{Address} answered {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd(), (int)response.StatusCode >= 500);
        }
        if (response.Content.Headers.ContentLength > _maxFileBytes)
        {
            return ($"{Address} offered {response.Content.Headers.ContentLength} bytes, more than the {_maxFileBytes} a debug file may have", false);
        }
        Directory.CreateDirectory(Cache);
        long total = 0;
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > _maxFileBytes)
                {
                    return ($"{Address} sent more than the {_maxFileBytes} bytes a debug file may have", false);
                }
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        return Verify(temp, id, $"{response.Content.Headers.ContentType?.MediaType ?? "no content type"}, {total} bytes") is { } wrong ? (wrong, false) : null;
    }

    /// <summary>Why a downloaded file is not the debug file of <paramref name="id"/>, or null when it is.</summary>
    private string? Verify(string path, BuildId id, string description)
    {
        try
        {
            if (!ELFReader.TryLoad(path, out IELF elf))
            {
                return $"{Address} sent a file that is not an ELF file ({description})";
            }
            using (elf)
            {
                var actual = BuildId.Of(elf);
                return actual == id ? null : $"{Address} sent a file of build id {actual?.Hex ?? "(none)"}, not {id.Hex}";
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or EndOfStreamException)
        {
            return $"{Address} sent an ELF file that cannot be read ({description}): {e.Message}";
        }
    }

    private void Fail(BuildId id, string reason, bool serverIsDown)
    {
        lock (_lock)
        {
            var until = DateTimeOffset.UtcNow + _retryAfter;
            if (serverIsDown)
            {
                _down = (reason, until);
            }
            Remember(id, Failed(reason, until), until);
        }
        _logger.LogWarning("No debug file for build id {BuildId}: {Reason}", id.Hex, reason);
    }
}

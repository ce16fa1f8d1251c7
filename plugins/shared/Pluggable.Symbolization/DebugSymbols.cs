using Microsoft.Extensions.Logging;
using Pluggable.Core.Options;

namespace Pluggable.Symbolization;

/// <summary>
/// Where native frames get their debug files: folders on disk (the system's, the configured ones, the cache), and a
/// symbol server that fetches into the cache, in the background, what they lack.
/// </summary>
/// <param name="locator">The folders; the cache is the last of them.</param>
/// <param name="server">Fetches missing files into the cache; null when no server is set.</param>
public sealed class DebugSymbols(DebugFileLocator locator, SymbolServer? server)
{
    // One fetcher per server and cache in the process, shared by every session: its queue and its memory of failures must outlive a profile.
    private static readonly Dictionary<(Uri Address, string Cache), SymbolServer> Servers = [];
    private static readonly Lock ServersLock = new();

    /// <summary>The file beside and the system's debug folder only; nothing is fetched.</summary>
    public static DebugSymbols Local { get; } = new(DebugFileLocator.System, null);

    public DebugFileLocator Locator => locator;

    /// <summary>The debug files the <c>symbols</c> option describes.</summary>
    /// <param name="options">The folders, the server and the cache.</param>
    /// <param name="logger">Where the server's fetches are logged (the first session's logger, for a server shared by several).</param>
    public static DebugSymbols For(SymbolOptions options, ILogger logger)
    {
        var locator = new DebugFileLocator([.. options.Paths, options.Cache]);
        if (options.Server is not { } address)
        {
            return new DebugSymbols(locator, null);
        }
        lock (ServersLock)
        {
            if (!Servers.TryGetValue((address, options.Cache), out var shared))
            {
                shared = new SymbolServer(address, options.Cache, logger);
                Servers[(address, options.Cache)] = shared;
            }
            return new DebugSymbols(locator, shared);
        }
    }

    /// <summary>Why a library has no debug file on disk, and what is done about it: with a server, its fetch is queued (never waited for).</summary>
    public string Missing(BuildId? id) => (id, server) switch
    {
        (null, _) => "it has no build id to find a debug file by",
        (_, null) => "no debug file in the symbol folders, and no symbol server is set",
        var (known, fetcher) => fetcher.Request(known).Reason,
    };
}

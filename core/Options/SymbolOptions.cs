using Newtonsoft.Json.Linq;

namespace Pluggable.Core.Options;

/// <summary>
/// Where the symbolizer of native frames finds the debug files of stripped libraries (the <c>symbols</c> option):
/// <c>{"paths": ["/srv/symbols"], "server": "https://...", "cache": "/var/cache/pluggable"}</c>. A debug file is found
/// by the library's ELF build id; what no folder holds is fetched from the server in the background, into the cache,
/// for the next profile.
/// </summary>
public sealed class SymbolOptions
{
    /// <summary>Microsoft's symbol server, which publishes the debug files of the runtime's libraries (<c>libcoreclr.so.dbg</c>).</summary>
    public static readonly Uri MicrosoftServer = new("https://msdl.microsoft.com/download/symbols/");

    /// <summary>The <c>server</c> value that turns the symbol server off; a null would not, because merging ignores nulls.</summary>
    public const string NoServer = "none";

    /// <summary>
    /// The environment variable that, when set, is the default <c>server</c> (a URL, or <c>none</c>), as
    /// <c>DEBUGINFOD_URLS</c> is for debuginfod clients: for machines with no way out, and for test runs.
    /// </summary>
    public const string ServerVariable = "PLUGGABLE_SYMBOL_SERVER";

    public SymbolOptions(IReadOnlyList<string> paths, Uri? server, string cache)
    {
        Paths = paths;
        Server = server;
        Cache = cache;
    }

    /// <summary>The defaults: no folders of one's own, <see cref="DefaultServer"/>, the cache under the user's cache folder.</summary>
    public static SymbolOptions Default => new([], DefaultServer, DefaultCache);

    /// <summary>Folders of debug files searched before the cache and the server, in order. Default none.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>The SSQP symbol server missing debug files are fetched from, or null for none. Default <see cref="DefaultServer"/>.</summary>
    public Uri? Server { get; }

    /// <summary>Where fetched debug files are kept, in the layout of dotnet-symbol's cache. Default <see cref="DefaultCache"/>.</summary>
    public string Cache { get; }

    /// <summary><see cref="ServerVariable"/> when set, else <see cref="MicrosoftServer"/>; a bad value of the variable throws <see cref="OptionsException"/> naming it.</summary>
    public static Uri? DefaultServer =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } server ? ServerOf(server, ServerVariable) : MicrosoftServer;

    /// <summary><c>$XDG_CACHE_HOME/pluggable/symbols</c>, else <c>~/.cache/pluggable/symbols</c>.</summary>
    public static string DefaultCache
    {
        get
        {
            // The XDG base directory spec says a relative value is invalid and is to be ignored.
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "pluggable", "symbols");
        }
    }

    /// <summary>Reads the <c>symbols</c> option; absent keys keep their defaults. A bad value throws <see cref="OptionsException"/> saying where.</summary>
    public static SymbolOptions From(JToken? token)
    {
        switch (token)
        {
            case null or { Type: JTokenType.Null }:
                return Default;
            case JObject section:
                foreach (var property in section.Properties())
                {
                    if (property.Name is not ("paths" or "server" or "cache"))
                    {
                        throw new OptionsException($"symbols.{property.Name}: not an option; the options are paths, server, cache");
                    }
                }
                return new SymbolOptions(FoldersOf(section["paths"]), ServerOf(section["server"]), CacheOf(section["cache"]));
            default:
                throw new OptionsException("symbols: expected an object such as {\"paths\": [\"/srv/symbols\"], \"server\": \"none\"}");
        }
    }

    private static string[] FoldersOf(JToken? token)
    {
        if (token is null or { Type: JTokenType.Null })
        {
            return [];
        }
        if (token is not JArray array)
        {
            throw new OptionsException("symbols.paths: expected an array of folders [\"/srv/symbols\", ...]");
        }
        return array.Select((item, i) => AbsoluteFolder(item, $"symbols.paths[{i}]")).ToArray();
    }

    private static Uri? ServerOf(JToken? token) => token switch
    {
        null or { Type: JTokenType.Null } => DefaultServer,
        { Type: JTokenType.String } => ServerOf(token.Value<string>()!, "symbols.server"),
        _ => throw BadServer("symbols.server", token.ToString(Newtonsoft.Json.Formatting.None)),
    };

    private static Uri? ServerOf(string text, string where)
    {
        if (text == NoServer)
        {
            return null;
        }
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && string.IsNullOrEmpty(uri.Query))
        {
            // Keys are relative to the server's URL: without the trailing slash its last segment would be replaced.
            return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        }
        throw BadServer(where, $"\"{text}\"");
    }

    private static OptionsException BadServer(string where, string found) =>
        new($"{where}: expected an http or https URL such as \"{MicrosoftServer}\", or \"{NoServer}\"; found {found}");

    private static string CacheOf(JToken? token) =>
        token is null or { Type: JTokenType.Null } ? DefaultCache : AbsoluteFolder(token, "symbols.cache");

    // Relative folders would depend on where the host was started, which an options file does not know.
    private static string AbsoluteFolder(JToken token, string where) =>
        token.Type == JTokenType.String && token.Value<string>() is { Length: > 0 } path && Path.IsPathRooted(path)
            ? Path.GetFullPath(path)
            : throw new OptionsException($"{where}: expected an absolute folder path such as \"/srv/symbols\", found {token.ToString(Newtonsoft.Json.Formatting.None)}");
}

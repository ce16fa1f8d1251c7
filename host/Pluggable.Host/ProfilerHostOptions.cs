using System.Net;
using Newtonsoft.Json.Linq;

namespace Pluggable.Host;

/// <summary>How the standalone server runs; the CLI's options map one to one onto these.</summary>
public sealed class ProfilerHostOptions
{
    /// <summary>The address to listen on. Default <c>127.0.0.1</c>; anything not loopback needs <see cref="AllowRemote"/>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>
    /// More names and addresses requests may name in their Host (and browsers in their Origin), besides <c>127.0.0.1</c>,
    /// <c>localhost</c>, <c>[::1]</c> and <see cref="Host"/> on <see cref="Port"/>: <c>name</c> (any port, as behind a proxy)
    /// or <c>name:port</c>. Default none.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>The port to listen on; 0 picks a free one. Default 8080.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>The process to profile; null (the default) profiles the host's own process.</summary>
    public int? Pid { get; set; }

    /// <summary>The results folder. Default <c>./pluggable-results</c>.</summary>
    public string ResultsFolder { get; set; } = "pluggable-results";

    /// <summary>The most the results folder may hold; past it the oldest profiles are removed, and logged. Default 1 GiB.</summary>
    public long MaxResultsBytes { get; set; } = 1L << 30;

    /// <summary>
    /// A JSON file of default profiling options; replacing the defaults (PUT /api/options) rewrites it. When null,
    /// defaults are read from and saved to <see cref="SavedOptionsFileName"/> in the results folder, if it exists.
    /// </summary>
    public string? OptionsFile { get; set; }

    /// <summary>
    /// Profiling options that win over the defaults file and are kept when the defaults are replaced: the command line's
    /// (<c>--symbols</c>, <c>--symbol-server</c>). A command's own options still win over them. Default none.
    /// </summary>
    public JObject? OptionsOverrides { get; set; }

    /// <summary>The defaults file in the results folder, used when no <see cref="OptionsFile"/> is given.</summary>
    public const string SavedOptionsFileName = "options.json";

    /// <summary>Folders to load plugins from, each holding one folder per plugin. Default: <c>plugins/</c> beside the host's binaries.</summary>
    public List<string> PluginFolders { get; set; } = [DefaultPluginFolder];

    /// <summary>Listen on a non-loopback address. Off by default; with it, a <see cref="Token"/> (or <see cref="NoAuth"/>) is required.</summary>
    public bool AllowRemote { get; set; }

    /// <summary>The token every request must carry (or trade for a session cookie at the login URL). Null: no token (fine on loopback).</summary>
    public string? Token { get; set; }

    /// <summary>Listen on a non-loopback address without a token, because something in front authenticates. Off by default; warned about loudly.</summary>
    public bool NoAuth { get; set; }

    /// <summary>
    /// Compacts the GC heap and gives its free memory back to the system once the server listens and after each stop
    /// has stored its files: what start-up and a session leave behind is garbage, and the GC keeps it until its next
    /// collection, which an idle host may not run for hours. For the standalone process, a sidecar whose pauses hold up
    /// nobody's requests. Off by default: a host embedded in a service must never pause its requests with a forced collection.
    /// </summary>
    public bool ReturnMemoryWhenIdle { get; set; }

    public static string DefaultPluginFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>True when <see cref="Host"/> names the loopback interface (<c>127.0.0.1</c>, <c>::1</c>, <c>localhost</c>).</summary>
    public bool IsLoopback => IsLoopbackHost(Host);

    /// <summary>True when a host name or address (IPv6 with or without brackets) is the loopback interface.</summary>
    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>True when <see cref="Host"/> listens on every interface.</summary>
    public bool IsCatchAll => IsCatchAllHost(Host);

    /// <summary>True when a host to listen on is every interface (<c>*</c>, <c>+</c>, <c>0.0.0.0</c>, <c>::</c>).</summary>
    public static bool IsCatchAllHost(string host) =>
        host is "*" or "+" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)));

    /// <summary>The URL Kestrel listens on.</summary>
    public string ListenUrl =>
        $"http://{(IPAddress.TryParse(Host.Trim('[', ']'), out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : Host)}:{Port}";
}

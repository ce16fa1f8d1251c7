using System.Net;
using System.Net.NetworkInformation;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Pluggable.Host.Api;

/// <summary>
/// The names and addresses the profiler answers to, each with its port or with any port. A request whose Host header
/// is not one of them is refused, and so is a state-changing request whose Origin is not one of them: a page on
/// another site whose owner re-points its name at 127.0.0.1 (DNS rebinding) reaches a loopback host with that name as
/// its Host and as its Origin, which the browser counts as same-origin. Only the name tells it apart.
/// </summary>
public sealed class AllowedHostList
{
    private const int HttpPort = 80;

    /// <summary>An entry's port that stands for the port the request came in on: the port the server listens on, known once it has bound it.</summary>
    private const int ListeningPort = 0;

    private readonly IReadOnlyList<(StringSegment Pattern, int? Port)> _entries;
    private readonly Func<string, string> _fix;

    /// <param name="entries">Host patterns as ASP.NET Core's host filtering matches them, each with its port (null: any).</param>
    /// <param name="fix">What to do to let a refused host name in, for the refusal.</param>
    private AllowedHostList(IReadOnlyList<(StringSegment Pattern, int? Port)> entries, Func<string, string> fix)
    {
        _entries = entries;
        _fix = fix;
    }

    /// <summary>True when any Host is let in (an embedded application's <c>AllowedHosts</c> of <c>*</c>).</summary>
    public bool AllowsAny => _entries.Any(e => e.Pattern == "*");

    /// <summary>
    /// The standalone server's list: <c>127.0.0.1</c>, <c>localhost</c> and <c>[::1]</c> on the port it listens on; the
    /// address it listens on, on that port too (for a catch-all address, each interface's address at start); and
    /// <paramref name="extra"/>, each a name or address with an optional port (without one, any port: a proxy in front
    /// forwards its own).
    /// </summary>
    /// <exception cref="HostConfigurationException">An extra entry is not a host name or address.</exception>
    public static AllowedHostList ForServer(string listenHost, IEnumerable<string> extra)
    {
        var listening = new List<string> { "127.0.0.1", "localhost", "[::1]" };
        listening.AddRange(ProfilerHostOptions.IsCatchAllHost(listenHost) ? InterfaceAddresses() : [listenHost]);
        var entries = listening.Select(Bracketed).Distinct(StringComparer.OrdinalIgnoreCase).Select(host => (new StringSegment(host), (int?)ListeningPort)).ToList();
        entries.AddRange(extra.Select(ParseEntry));
        return new AllowedHostList(entries, name => $"if the name is yours, start the host with --allowed-hosts {name}");
    }

    /// <summary>
    /// An embedded profiler's list: the application's own <c>AllowedHosts</c> setting, read as ASP.NET Core's host
    /// filtering reads it (names separated by <c>;</c>, <c>*.example.com</c> for subdomains, ports ignored; unset or
    /// empty is <c>*</c>, any host).
    /// </summary>
    public static AllowedHostList FromApplicationSetting(string? allowedHosts)
    {
        var hosts = allowedHosts?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        return new AllowedHostList(
            (hosts.Length > 0 ? hosts : ["*"]).Select(host => (new StringSegment(host), (int?)null)).ToList(),
            name => $"if the name is yours, add {name} to the application's AllowedHosts setting");
    }

    /// <summary>The first address of the list that another machine can reach, if any: what a catch-all host prints in its login URL.</summary>
    public string? FirstRemoteAddress =>
        _entries.Select(e => e.Pattern.Value!).FirstOrDefault(host => IPAddress.TryParse(host.Trim('[', ']'), out var address) && !IPAddress.IsLoopback(address));

    /// <summary>Whether a Host header is one of the list, for a request that came in on <paramref name="listeningPort"/>.</summary>
    public bool Allows(HostString host, int listeningPort) =>
        host.HasValue && _entries.Any(e => HostString.MatchesAny(host.Host, [e.Pattern]) && PortMatches(e.Port, host.Port ?? HttpPort, listeningPort));

    /// <summary>
    /// Whether a browser's <c>Origin</c> (http or https) is one of the list. When the list lets any host in, the origin
    /// must be the request's own scheme and Host instead, since nothing else tells the page's site apart.
    /// </summary>
    public bool AllowsOrigin(string origin, HttpRequest request)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false;
        }
        return AllowsAny
            ? string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase) && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            : Allows(new HostString(uri.Host, uri.Port), request.HttpContext.Connection.LocalPort);
    }

    /// <summary>Why a request with this Host is refused, and what to do when the name is the operator's own.</summary>
    public string Refusal(HostString host, int listeningPort) =>
        $"refused: this profiler answers to {Describe(listeningPort)}, not to '{host.Value}' (the request's Host). " +
        $"A web page that reaches it under another name may be a DNS rebinding attack; {_fix(host.Host)}.";

    /// <summary>The list as a sentence lists it, with the port requests come in on.</summary>
    public string Describe(int listeningPort) =>
        string.Join(", ", _entries.Select(e => e.Port switch
        {
            null => e.Pattern.Value,
            ListeningPort => $"{e.Pattern}:{listeningPort}",
            { } port => $"{e.Pattern}:{port}",
        }));

    private static bool PortMatches(int? entryPort, int requestPort, int listeningPort) => entryPort switch
    {
        null => true,
        ListeningPort => requestPort == listeningPort,
        { } port => requestPort == port,
    };

    private static (StringSegment, int?) ParseEntry(string entry)
    {
        var trimmed = entry.Trim();
        if (trimmed == "*")
        {
            throw new HostConfigurationException("--allowed-hosts: '*' would let any name in, which is all a DNS rebinding attack needs; list the names and addresses the profiler is reached by");
        }
        var host = new HostString(trimmed);
        var name = host.Host.StartsWith("*.", StringComparison.Ordinal) ? host.Host[2..] : host.Host;
        var readBack = host.Port is { } port ? $"{host.Host}:{port}" : host.Host;
        // HostString reads "http://a" as host "http"; only an entry that reads back as itself is a host and port.
        if (!string.Equals(readBack, trimmed, StringComparison.OrdinalIgnoreCase) || Uri.CheckHostName(name.Trim('[', ']')) == UriHostNameType.Unknown || host.Port is <= 0 or > 65535)
        {
            throw new HostConfigurationException($"--allowed-hosts: '{entry}' is not a host name or address; give names such as profiler.example.com, *.example.com or 10.0.0.5:8080");
        }
        return (new StringSegment(host.Host), host.Port);
    }

    private static string Bracketed(string host) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : host;

    /// <summary>This machine's addresses, IPv4 first, without IPv6 link-local ones (a browser cannot put their scope in a URL).</summary>
    private static IEnumerable<string> InterfaceAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus != OperationalStatus.Down)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses.Select(u => u.Address))
            .Where(address => !address.IsIPv6LinkLocal)
            .OrderBy(address => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1)
            .Select(address => address.ToString());
}

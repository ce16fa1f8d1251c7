using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Pluggable.Host.Api;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Cli;

/// <summary>
/// The executable on the network, as an operator runs it: loopback unless told otherwise, and beyond loopback only with
/// a token (from a file or PLUGGABLE_TOKEN) or, behind an authenticating proxy, with --no-auth and its warning.
/// </summary>
public class RemoteAccessTests
{
    private const string Token = "correct-horse-battery-staple";
    private const string NoAddressReason = "this machine has no non-loopback IPv4 address to listen on";

    public enum TokenSource
    {
        File,
        Environment,
    }

    [SkippableTheory]
    [InlineData(TokenSource.File)]
    [InlineData(TokenSource.Environment)]
    public async Task On_a_network_address_with_a_token_only_requests_with_it_or_the_login_cookie_are_served(TokenSource source)
    {
        var address = NetworkAddress();
        Skip.If(address is null, NoAddressReason);
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("token"), Token + "\n");
        string[] arguments = ["--host", address!.ToString(), "--allow-remote", "--results", folder.Sub("results")];
        await using var host = source == TokenSource.File
            ? await HostProcess.StartAsync([.. arguments, "--token-file", folder.File("token")])
            : await HostProcess.StartAsync(arguments, environment: new Dictionary<string, string> { ["PLUGGABLE_TOKEN"] = Token });
        host.LoginUrl.Should().NotBeNull("a host that requires a token prints its one-time login URL");
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.Client.BaseAddress };

        var login = await client.GetAsync(host.LoginUrl);
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        host.Client.BaseAddress!.Host.Should().Be(address.ToString(), "the requests below go over the network address, not loopback");
        (await SendAsync(client, "/api/profiles")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await SendAsync(client, "/", bearer: "not-the-token")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await SendAsync(client, "/api/profiles", bearer: Token)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await SendAsync(client, "/", bearer: Token)).StatusCode.Should().Be(HttpStatusCode.OK);
        login.StatusCode.Should().Be(HttpStatusCode.Redirect);
        cookie.Should().StartWith($"{ProfilerAccess.CookieName}=");
        (await SendAsync(client, "/api/profiles", cookie: cookie)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await SendAsync(client, "/", cookie: cookie)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [SkippableFact]
    public async Task On_a_network_address_with_no_auth_it_serves_without_a_token_and_warns_loudly()
    {
        var address = NetworkAddress();
        Skip.If(address is null, NoAddressReason);
        using var results = new TempFolder("pluggable-results");
        await using var host = await HostProcess.StartAsync(["--host", address!.ToString(), "--allow-remote", "--no-auth", "--results", results.Path]);

        var profiles = await host.Client.GetAsync("/api/profiles");

        host.Client.BaseAddress!.Host.Should().Be(address.ToString());
        profiles.StatusCode.Should().Be(HttpStatusCode.OK);
        host.Output.Should().Contain(line => line.Contains(
            $"NO AUTHENTICATION (--no-auth) on {address}: anyone who can reach this port can profile this process and read its profiles. Only do this behind a proxy that authenticates.",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_host_it_listens_on_loopback_only()
    {
        using var results = new TempFolder("pluggable-results");
        await using var host = await HostProcess.StartAsync(["--results", results.Path]);
        var port = host.Client.BaseAddress!.Port;

        var listening = ListeningAddresses(port);

        listening.Should().NotBeEmpty().And.OnlyContain(a => IPAddress.IsLoopback(a), $"nothing but loopback may listen on port {port}");
        (await host.Client.GetAsync("/api/profiles")).StatusCode.Should().Be(HttpStatusCode.OK);
        if (NetworkAddress() is { } address)
        {
            using var tcp = new TcpClient();
            var connect = () => tcp.ConnectAsync(address, port);
            await connect.Should().ThrowAsync<SocketException>($"nothing listens on {address}:{port}");
        }
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string? bearer = null, string? cookie = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }
        return client.SendAsync(request);
    }

    /// <summary>An IPv4 address of one of this machine's interfaces that is not loopback, or null when it has none.</summary>
    private static IPAddress? NetworkAddress() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(i => i.GetIPProperties().UnicastAddresses)
        .Select(u => u.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    /// <summary>
    /// The local addresses of the TCP sockets listening on <paramref name="port"/>, as the kernel lists them in
    /// /proc/net/tcp and tcp6: rather than what the host says it binds, what it does.
    /// </summary>
    private static List<IPAddress> ListeningAddresses(int port)
    {
        const string listen = "0A";
        var addresses = new List<IPAddress>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
        {
            foreach (var fields in File.ReadLines(table).Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            {
                var local = fields[1].Split(':');
                if (fields[3] == listen && int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    addresses.Add(KernelAddress(local[0]));
                }
            }
        }
        return addresses;
    }

    /// <summary>An address as /proc/net/tcp writes it: hex, each 32-bit word in the machine's (little-endian) byte order.</summary>
    private static IPAddress KernelAddress(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }
        return new IPAddress(bytes);
    }
}

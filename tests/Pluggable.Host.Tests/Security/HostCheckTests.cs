using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Host.Api;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Security;

/// <summary>
/// DNS rebinding: a page whose name is re-pointed at 127.0.0.1 sends its own name as Host and as Origin. The host
/// answers only to the names it was told to serve, and takes an Origin only from those.
/// </summary>
public class HostCheckTests
{
    private static HttpRequestMessage Request(HttpMethod method, string path, string host, string? origin = null)
    {
        var request = method == HttpMethod.Get || method == HttpMethod.Delete
            ? new HttpRequestMessage(method, path)
            : Requests.Json(method, path, method == HttpMethod.Post && path.EndsWith("/start", StringComparison.Ordinal) ? "{\"event\":\"scripted\"}" : "{}");
        request.Headers.Host = host;
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return request;
    }

    /// <summary>
    /// An application with the profiler mounted and nothing else, not even ASP.NET Core's own host filtering (which a
    /// CreateBuilder or CreateSlimBuilder application runs first), so that what the profiler itself refuses shows.
    /// </summary>
    private static async Task<WebApplication> StartApplicationAsync(string? allowedHosts, ScriptedSampler sampler, string resultsFolder, ILoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        if (allowedHosts is not null)
        {
            builder.Configuration["AllowedHosts"] = allowedHosts;
        }
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRouting();
        builder.Logging.AddProvider(logs ?? new CollectingLoggerProvider());
        builder.Services.AddSingleton(TestHost.CreateEngine([sampler], resultsFolder));
        var app = builder.Build();
        app.MapProfilerUi("/profiler");
        await app.StartAsync();
        return app;
    }

    private static async Task<string> Error(HttpResponseMessage response) => JObject.Parse(await response.Content.ReadAsStringAsync())["error"]!.Value<string>()!;

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/api/profiler")]
    [InlineData("GET", "/api/processes")]
    [InlineData("GET", "/api/profiles")]
    [InlineData("GET", "/login?code=x")]
    [InlineData("POST", "/api/profiler/start")]
    [InlineData("POST", "/api/target")]
    [InlineData("DELETE", "/api/profiles")]
    public async Task A_request_under_a_rebound_name_is_421_saying_why_and_changes_nothing(string method, string path)
    {
        var sampler = new ScriptedSampler("scripted");
        await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer()]);
        var stored = await host.ProfileAsync("scripted", TimeSpan.Zero);
        var rebound = $"evil.example:{host.Address.Port}";

        var response = await host.Client.SendAsync(Request(new HttpMethod(method), path, rebound, origin: $"http://{rebound}"));

        response.StatusCode.Should().Be(HttpStatusCode.MisdirectedRequest);
        (await Error(response)).Should().Contain($"not to '{rebound}'").And.Contain($"127.0.0.1:{host.Address.Port}").And.Contain("DNS rebinding").And.Contain("--allowed-hosts evil.example");
        sampler.SessionsStarted.Should().Be(1, "only the profile stored before");
        host.Engine.Store.List().Should().HaveCount(stored["files"]!.Count());
        host.Engine.Status.State.Should().Be("idle");
    }

    [Fact]
    public async Task The_loopback_names_are_served_on_the_port_the_host_listens_on_and_on_no_other()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted")]);
        var port = host.Address.Port;

        foreach (var name in new[] { "127.0.0.1", "localhost", "LOCALHOST", "[::1]" })
        {
            (await host.Client.SendAsync(Request(HttpMethod.Get, "/api/profiler", $"{name}:{port}"))).StatusCode.Should().Be(HttpStatusCode.OK, name);
        }
        (await host.Client.SendAsync(Request(HttpMethod.Get, "/api/profiler", $"127.0.0.1:{port + 1}"))).StatusCode.Should().Be(HttpStatusCode.MisdirectedRequest);
        (await host.Client.SendAsync(Request(HttpMethod.Get, "/api/profiler", "127.0.0.1"))).StatusCode.Should().Be(HttpStatusCode.MisdirectedRequest, "without a port the Host means port 80");
    }

    [Fact]
    public async Task Allowed_hosts_add_names_on_any_port_or_on_the_port_they_name()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted")], options: new ProfilerHostOptions { AllowedHosts = ["profiler.example.com", "*.ops.example", "10.0.0.5:9000"] });

        async Task<HttpStatusCode> Get(string hostHeader) => (await host.Client.SendAsync(Request(HttpMethod.Get, "/api/profiler", hostHeader))).StatusCode;

        (await Get("profiler.example.com")).Should().Be(HttpStatusCode.OK, "a proxy in front forwards its own name without a port");
        (await Get("profiler.example.com:443")).Should().Be(HttpStatusCode.OK);
        (await Get("eu.ops.example")).Should().Be(HttpStatusCode.OK);
        (await Get("10.0.0.5:9000")).Should().Be(HttpStatusCode.OK);
        (await Get("10.0.0.5:9001")).Should().Be(HttpStatusCode.MisdirectedRequest);
        (await Get("ops.example")).Should().Be(HttpStatusCode.MisdirectedRequest, "*.ops.example names subdomains only");
        (await Get("profiler.example.com.evil.example")).Should().Be(HttpStatusCode.MisdirectedRequest);
    }

    [Fact]
    public async Task An_origin_must_be_a_host_the_profiler_answers_to_not_the_requests_own_host()
    {
        var sampler = new ScriptedSampler("scripted");
        await using var host = await TestHost.StartAsync([sampler], options: new ProfilerHostOptions { AllowedHosts = ["profiler.example.com"] });
        var own = $"127.0.0.1:{host.Address.Port}";

        async Task<HttpStatusCode> Stop(string hostHeader, string origin) => (await host.Client.SendAsync(Request(HttpMethod.Post, "/api/profiler/stop", hostHeader, origin))).StatusCode;

        (await Stop(own, "http://evil.example")).Should().Be(HttpStatusCode.Forbidden);
        (await Stop(own, $"http://127.0.0.1:{host.Address.Port + 1}")).Should().Be(HttpStatusCode.Forbidden, "another local web app is another origin");
        (await Stop(own, "null")).Should().Be(HttpStatusCode.Forbidden);
        (await Stop(own, $"http://localhost:{host.Address.Port}")).Should().Be(HttpStatusCode.Conflict, "the profiler's own page under its other loopback name; nothing runs, so 409");
        (await Stop("profiler.example.com", "https://profiler.example.com")).Should().Be(HttpStatusCode.Conflict, "its page behind a TLS proxy");
        sampler.SessionsStarted.Should().Be(0);
    }

    [Theory]
    [InlineData("*", "would let any name in")]
    [InlineData("http://profiler.example.com", "is not a host name or address")]
    [InlineData("two words", "is not a host name or address")]
    [InlineData("profiler.example.com:99999", "is not a host name or address")]
    public void An_allowed_host_that_is_no_host_name_is_refused_at_start(string entry, string message)
    {
        var act = () => AllowedHostList.ForServer("127.0.0.1", [entry]);

        act.Should().Throw<HostConfigurationException>().WithMessage($"--allowed-hosts: *{message}*");
    }

    [Fact]
    public async Task On_every_interface_with_a_token_the_login_url_names_an_address_it_answers_to_and_nobody_is_told_anyone_may_profile()
    {
        var logs = new CollectingLoggerProvider();
        await using var host = await TestHost.StartAsync(
            new ProfilerHostOptions { Host = "0.0.0.0", AllowRemote = true, Token = "a-token-long-enough", PluginFolders = [] },
            logging: logging => logging.AddProvider(logs));

        var login = logs.Messages.Single(m => m.Contains("login?code=", StringComparison.Ordinal));
        var url = new Uri(login[login.IndexOf("http://", StringComparison.Ordinal)..].Split(' ')[0]);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var response = await client.GetAsync(url);

        url.Host.Should().NotBe("0.0.0.0");
        response.StatusCode.Should().Be(HttpStatusCode.Redirect, "the printed URL reaches the host and logs in");
        logs.Messages.Should().NotContain(m => m.Contains("anyone who can reach", StringComparison.OrdinalIgnoreCase), "a token is required");
        logs.Messages.Should().Contain(m => m.Contains("every request needs the token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_profiler_served_on_its_own_kestrel_answers_to_the_names_its_options_add()
    {
        using var results = new TempFolder("pluggable-results");
        await using var server = await ProfilerUi.ServeAsync("127.0.0.1", 0, options =>
        {
            options.ResultsFolder = results.Path;
            options.AllowedHosts.Add("worker.example.com");
        });
        using var client = new HttpClient { BaseAddress = server.Address };

        (await client.SendAsync(Request(HttpMethod.Get, "api/profiler", "worker.example.com"))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.SendAsync(Request(HttpMethod.Get, "api/profiler", $"127.0.0.1:{server.Address.Port}"))).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.SendAsync(Request(HttpMethod.Get, "api/profiler", "evil.example"))).StatusCode.Should().Be(HttpStatusCode.MisdirectedRequest);
    }

    [Fact]
    public async Task An_embedded_profiler_answers_to_the_applications_AllowedHosts_only()
    {
        using var results = new TempFolder("pluggable-results");
        var sampler = new ScriptedSampler("scripted");
        await using var app = await StartApplicationAsync("shop.example.com;localhost", sampler, results.Path);
        var address = new Uri(app.Urls.First());
        using var client = new HttpClient { BaseAddress = address };

        var rebound = await client.SendAsync(Request(HttpMethod.Post, "/profiler/api/profiler/start", $"evil.example:{address.Port}", $"http://evil.example:{address.Port}"));
        var byAddress = await client.SendAsync(Request(HttpMethod.Get, "/profiler/api/profiler", $"127.0.0.1:{address.Port}"));
        var byName = await client.SendAsync(Request(HttpMethod.Post, "/profiler/api/profiler/start", "shop.example.com", "https://shop.example.com"));

        rebound.StatusCode.Should().Be(HttpStatusCode.MisdirectedRequest);
        (await Error(rebound)).Should().Contain("add evil.example to the application's AllowedHosts");
        byAddress.StatusCode.Should().Be(HttpStatusCode.MisdirectedRequest, "127.0.0.1 is not in this application's AllowedHosts");
        byName.StatusCode.Should().Be(HttpStatusCode.OK);
        sampler.SessionsStarted.Should().Be(1);
        await app.StopAsync();
    }

    [Fact]
    public async Task An_embedded_profiler_of_an_application_that_lets_any_host_in_warns_at_start_and_still_refuses_other_origins()
    {
        using var results = new TempFolder("pluggable-results");
        var logs = new CollectingLoggerProvider();
        var sampler = new ScriptedSampler("scripted");
        await using var app = await StartApplicationAsync(allowedHosts: null, sampler, results.Path, logs);
        var address = new Uri(app.Urls.First());
        using var client = new HttpClient { BaseAddress = address };

        var crossOrigin = await client.SendAsync(Request(HttpMethod.Post, "/profiler/api/profiler/start", $"127.0.0.1:{address.Port}", "http://evil.example"));

        crossOrigin.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        sampler.SessionsStarted.Should().Be(0);
        logs.Messages.Should().Contain(m => m.Contains("answers to any Host", StringComparison.Ordinal) && m.Contains("DNS rebinding", StringComparison.Ordinal));
        await app.StopAsync();
    }
}

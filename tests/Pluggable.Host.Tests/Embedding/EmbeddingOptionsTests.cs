using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Newtonsoft.Json.Linq;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Embedding;

/// <summary>The embedding options the README promises: an authorization policy, one engine for code and page, and a Kestrel of its own.</summary>
public class EmbeddingOptionsTests(DroppedPluginsFixture dropped) : IClassFixture<DroppedPluginsFixture>
{
    private const string UserHeader = "X-Test-Role";

    /// <summary>Signs in whoever sends <see cref="UserHeader"/>, in that role: an application's own authentication, as the profiler sees it.</summary>
    private sealed class HeaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "header";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Request.Headers[UserHeader].FirstOrDefault() is { } role
                ? AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Role, role)], SchemeName)), SchemeName))
                : AuthenticateResult.NoResult());
    }

    /// <summary>An application with its own authentication and an "ops" policy, and the profiler mounted by <paramref name="mount"/>.</summary>
    private static async Task<WebApplication> StartApplicationAsync(Action<IServiceCollection> services, Action<WebApplication> mount)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Logging.AddProvider(new CollectingLoggerProvider());
        builder.Services.AddRouting();
        builder.Services.AddAuthentication(HeaderAuthentication.SchemeName).AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>(HeaderAuthentication.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy("ops", policy => policy.RequireRole("ops")));
        services(builder.Services);
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        mount(app);
        await app.StartAsync();
        return app;
    }

    private static HttpRequestMessage As(string? role, HttpMethod method, string path)
    {
        var request = method == HttpMethod.Post ? Requests.Json(method, path, """{"event": "scripted"}""") : new HttpRequestMessage(method, path);
        if (role is not null)
        {
            request.Headers.Add(UserHeader, role);
        }
        return request;
    }

    [Fact]
    public async Task With_an_AuthorizationPolicy_the_profiler_refuses_the_unauthenticated_and_the_unauthorized_and_serves_who_the_policy_admits()
    {
        using var results = new TempFolder("pluggable-results");
        var sampler = new ScriptedSampler("scripted");
        await using var app = await StartApplicationAsync(
            services => services.AddSingleton(TestHost.CreateEngine([sampler, new FlamegraphRenderer()], results.Path)),
            app => app.MapProfilerUi("/profiler", o => o.AuthorizationPolicy = "ops"));
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var anonymousPage = await client.SendAsync(As(null, HttpMethod.Get, "/profiler/"));
        var anonymousStart = await client.SendAsync(As(null, HttpMethod.Post, "/profiler/api/profiler/start"));
        var developerStart = await client.SendAsync(As("developer", HttpMethod.Post, "/profiler/api/profiler/start"));
        var startedBeforeOps = sampler.SessionsStarted;
        var opsStart = await client.SendAsync(As("ops", HttpMethod.Post, "/profiler/api/profiler/start"));
        var opsStatus = await client.SendAsync(As("ops", HttpMethod.Get, "/profiler/api/profiler"));

        anonymousPage.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        anonymousStart.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        developerStart.StatusCode.Should().Be(HttpStatusCode.Forbidden, "signed in, but not in the policy's role");
        startedBeforeOps.Should().Be(0, "a refused request starts nothing");
        opsStart.StatusCode.Should().Be(HttpStatusCode.OK);
        opsStatus.StatusCode.Should().Be(HttpStatusCode.OK);
        JObject.Parse(await opsStatus.Content.ReadAsStringAsync())["state"]!.Value<string>().Should().Be("running");
        await app.StopAsync();
    }

    [Fact]
    public async Task AddPluggableProfiler_gives_the_injected_profiler_and_the_mounted_page_one_engine()
    {
        using var results = new TempFolder("pluggable-results");
        await using var app = await StartApplicationAsync(
            services => services.AddPluggableProfiler(o =>
            {
                o.ResultsFolder = results.Path;
                o.PluginFolders.Add(dropped.PluginsFolder);
            }),
            app => app.MapProfilerUi("/profiler"));
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var profiler = app.Services.GetRequiredService<Profiler>();

        await profiler.StartAsync("dropin");
        var statusOnPage = await client.GetJsonAsync("/profiler/api/profiler");
        var stoppedOnPage = await client.PostOkAsync("/profiler/api/profiler/stop", new { });
        profiler.DefaultOptions = JObject.Parse("""{"threads": true}""");
        var defaultsOnPage = await client.GetJsonAsync("/profiler/api/options");

        statusOnPage["state"]!.Value<string>().Should().Be("running", "the session the code started");
        statusOnPage["event"]!.Value<string>().Should().Be("dropin");
        profiler.Status.State.Should().Be("idle", "the page stopped the code's session");
        profiler.ListProfiles().Select(f => f.Id).Should().Contain(stoppedOnPage["id"]!.Value<int>());
        defaultsOnPage["threads"]!.Value<bool>().Should().BeTrue();
        await app.StopAsync();
    }

    [Fact]
    public async Task Serve_profiles_this_process_on_a_kestrel_of_its_own_until_it_is_disposed()
    {
        using var results = new TempFolder("pluggable-results");
        // As a console or worker service calls it: blocking, with no synchronization context to wait on.
        var server = await Task.Run(() => ProfilerUi.Serve("127.0.0.1", 0, o => o.ResultsFolder = results.Path));
        using var client = new HttpClient { BaseAddress = server.Address };

        JToken status;
        string page;
        await using (server)
        {
            status = await client.GetJsonAsync("api/profiler");
            page = await client.GetStringAsync("");
        }
        var afterDispose = () => client.GetAsync("api/profiler");

        status["target"]!["pid"]!.Value<int>().Should().Be(Environment.ProcessId);
        status["target"]!["isSelf"]!.Value<bool>().Should().BeTrue();
        page.Should().Contain("<title>Pluggable profiler</title>");
        await afterDispose.Should().ThrowAsync<HttpRequestException>("disposing the handle stops its Kestrel");
    }
}

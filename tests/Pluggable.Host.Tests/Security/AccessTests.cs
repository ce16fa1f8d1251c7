using System.Net;
using Microsoft.Extensions.Logging;
using Pluggable.Host.Api;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Security;

/// <summary>With a token set, nothing is served without it: not the API, not the page, not a stored file.</summary>
public class AccessTests : IAsyncLifetime
{
    private const string Token = "correct-horse-battery-staple";
    private const string StoredFileName = "1-wall-20260101-000000.txt";
    private readonly CollectingLoggerProvider _logs = new();
    private TestHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await TestHost.StartAsync(new ProfilerHostOptions { Token = Token, PluginFolders = [RepoPaths.BuiltPlugins] },
            logging: logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<HttpResponseMessage> SendAsync(string path, string? bearer = null, string? cookie = null, HttpMethod? method = null, string? json = null)
    {
        var request = json is null ? new HttpRequestMessage(method ?? HttpMethod.Get, path) : Requests.Json(method ?? HttpMethod.Put, path, json);
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }
        return _host.Client.SendAsync(request);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/api/profiles")]
    [InlineData("/api/event-types")]
    [InlineData("/ui/app.js")]
    public async Task Without_the_token_every_page_and_API_call_is_401(string path)
    {
        (await SendAsync(path)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await SendAsync(path, bearer: "wrong")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await SendAsync(path, bearer: Token)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private string StoreProfile()
    {
        var path = Path.Combine(_host.ResultsFolder, StoredFileName);
        File.WriteAllText(path, "Main;Wait 1\n");
        return path;
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task A_stored_file_needs_the_token(string method)
    {
        StoreProfile();
        var path = $"/profiles/{StoredFileName}";

        (await SendAsync(path, method: new HttpMethod(method))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await SendAsync(path, bearer: "wrong", method: new HttpMethod(method))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await SendAsync(path, bearer: Token, method: new HttpMethod(method))).StatusCode.Should().Be(HttpStatusCode.OK, "the file is stored: only the token stood in the way");
    }

    [Theory]
    [InlineData("/api/profiles")]
    [InlineData("/api/profiles/1")]
    public async Task A_delete_without_the_token_is_401_and_deletes_nothing(string path)
    {
        var stored = StoreProfile();

        var refused = await SendAsync(path, method: HttpMethod.Delete);

        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        File.Exists(stored).Should().BeTrue();
        (await SendAsync(path, bearer: Token, method: HttpMethod.Delete)).StatusCode.Should().Be(HttpStatusCode.OK);
        File.Exists(stored).Should().BeFalse("with the token the same request deletes");
    }

    [Fact]
    public async Task Replacing_the_options_without_the_token_is_401_and_changes_nothing()
    {
        var refused = await SendAsync("/api/options", method: HttpMethod.Put, json: """{"threads": true}""");

        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        _host.Engine.DefaultOptions.Threads.Should().BeFalse();
        File.Exists(Path.Combine(_host.ResultsFolder, ProfilerHostOptions.SavedOptionsFileName)).Should().BeFalse("nothing was saved");
        (await SendAsync("/api/options", bearer: Token, method: HttpMethod.Put, json: """{"threads": true}""")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_state_changing_call_without_the_token_changes_nothing()
    {
        var start = await _host.PostJsonAsync("/api/profiler/start", new { @event = "wall" });

        start.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        _host.Engine.Status.State.Should().Be("idle");
    }

    [Fact]
    public async Task The_one_time_login_url_sets_a_session_cookie_and_works_only_once()
    {
        var code = _host.Server.Access.LoginCode!;
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _host.Address };

        var login = await client.GetAsync($"/login?code={code}");
        var again = await client.GetAsync($"/login?code={code}");

        login.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        cookie.Should().StartWith($"{ProfilerAccess.CookieName}=").And.Contain("httponly").And.Contain("samesite=strict");
        (await SendAsync("/api/profiles", cookie: cookie.Split(';')[0])).StatusCode.Should().Be(HttpStatusCode.OK);
        (await SendAsync("/api/profiles", cookie: $"{ProfilerAccess.CookieName}=forged")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        again.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_token_appears_neither_in_the_logs_nor_in_a_generated_page()
    {
        var authorized = new HttpRequestMessage(HttpMethod.Post, "/api/profiler/start") { Content = new StringContent("""{"event":"wall"}""", System.Text.Encoding.UTF8, "application/json") };
        authorized.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        (await _host.Client.SendAsync(authorized)).StatusCode.Should().Be(HttpStatusCode.OK);
        await Task.Delay(300);
        var stop = new HttpRequestMessage(HttpMethod.Post, "/api/profiler/stop") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        stop.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        (await _host.Client.SendAsync(stop)).StatusCode.Should().Be(HttpStatusCode.OK);

        var page = _host.Engine.Store.List().Single(f => f.Kind == "flamegraph");
        File.ReadAllText(Path.Combine(_host.ResultsFolder, page.Name)).Should().NotContain(Token);
        _logs.Messages.Should().NotContain(m => m.Contains(Token, StringComparison.Ordinal));
        _logs.Messages.Should().Contain(m => m.Contains("login?code=", StringComparison.Ordinal), "the login URL is printed at start");
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Browser.Tests;

/// <summary>
/// The attack of issue 18 in Chromium: the attacker's server serves a page under the attacker's name; the name then
/// points at 127.0.0.1, where the profiler listens on the same port, and the page's script calls it same-origin (its
/// own name as Host and Origin). The host refuses every call.
/// </summary>
[Collection(BrowserCollection.Name)]
public class DnsRebindingTests(BrowserFixture browser)
{
    /// <summary>What the attacker's script tries, each answered with its status and body.</summary>
    private const string Attack = """
        async () => {
          const attempt = async (method, path, body) => {
            const response = await fetch(path, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body });
            return { method, path, status: response.status, body: await response.text() };
          };
          return JSON.stringify([
            await attempt('GET', '/api/profiler'),
            await attempt('GET', '/api/processes'),
            await attempt('GET', '/api/profiles'),
            await attempt('POST', '/api/profiler/start', JSON.stringify({ event: 'scripted' })),
            await attempt('POST', '/api/target', JSON.stringify({ pid: 1 })),
            await attempt('DELETE', '/api/profiles'),
          ]);
        }
        """;

    private sealed record Attempt(string Method, string Path, int Status, string Body);

    private static async Task<Attempt[]> RunAttackAsync(Microsoft.Playwright.IPage page) =>
        Newtonsoft.Json.JsonConvert.DeserializeObject<Attempt[]>(await page.EvaluateAsync<string>(Attack))!;

    /// <summary>The attacker's web server, on loopback too so that the browser lets its page call loopback addresses (as it does a page from the local network).</summary>
    private static async Task<WebApplication> StartAttackerSiteAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        var site = builder.Build();
        site.Run(context => context.Response.WriteAsync("<!doctype html><title>cat pictures</title>"));
        await site.StartAsync();
        return site;
    }

    [SkippableFact]
    public async Task A_page_whose_name_is_rebound_to_a_loopback_host_can_neither_read_nor_change_it()
    {
        var page = await browser.NewPageAsync([]);
        var site = await StartAttackerSiteAsync();
        var port = new Uri(site.Urls.First()).Port;
        await page.GotoAsync($"http://{BrowserFixture.ReboundName}:{port}/");
        await site.DisposeAsync();
        var sampler = new ScriptedSampler("scripted");
        await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer()], port: port);
        await host.ProfileAsync("scripted", TimeSpan.Zero);
        var stored = host.Engine.Store.List();

        var attempts = await RunAttackAsync(page);

        attempts.Should().HaveCount(6);
        foreach (var attempt in attempts)
        {
            attempt.Status.Should().Be(421, $"{attempt.Method} {attempt.Path} from the rebound page");
            attempt.Body.Should().Contain($"not to '{BrowserFixture.ReboundName}:{port}'").And.Contain("DNS rebinding");
        }
        sampler.SessionsStarted.Should().Be(1, "only the session started before the attack");
        host.Engine.Status.State.Should().Be("idle");
        host.Engine.Store.List().Should().BeEquivalentTo(stored);
    }

    [SkippableFact]
    public async Task The_same_script_on_the_profilers_own_page_is_answered()
    {
        var sampler = new ScriptedSampler("scripted");
        await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer()]);
        var page = await browser.NewPageAsync([]);
        await page.GotoAsync(host.Address.ToString());

        var attempts = await RunAttackAsync(page);

        attempts.Where(a => a.Method == "GET").Select(a => a.Status).Should().OnlyContain(status => status == 200, "the check refuses names, not the page's own calls");
        attempts.Single(a => a.Path == "/api/profiler/start").Status.Should().Be(200);
        sampler.SessionsStarted.Should().Be(1);
        await host.PostOkAsync("/api/profiler/stop", new { });
    }
}

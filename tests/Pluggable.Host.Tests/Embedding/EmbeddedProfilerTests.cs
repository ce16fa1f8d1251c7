using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Embedding;

/// <summary>samples/ShopService, a service with the profiler embedded by MapProfilerUi, profiled through its own /profiler.</summary>
[Collection(ProfilingCollection.Name)]
public class EmbeddedProfilerTests
{
    private sealed class Service : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly TempFolder _workingDirectory;
        private readonly StringBuilder _output = new();

        private Service(Process process, TempFolder workingDirectory, Uri address)
        {
            _process = process;
            _workingDirectory = workingDirectory;
            Address = address;
            Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(1) };
        }

        public Uri Address { get; }

        public HttpClient Client { get; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static async Task<Service> StartAsync(string listenHost = "127.0.0.1")
        {
            var port = FreePort();
            var workingDirectory = new TempFolder("shop");
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "ShopService.dll"), "--urls", $"http://{listenHost}:{port}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = workingDirectory.Path,
            };
            var service = new Service(Process.Start(start)!, workingDirectory, new Uri($"http://127.0.0.1:{port}/"));
            service._process.OutputDataReceived += (_, e) => service.Append(e.Data);
            service._process.ErrorDataReceived += (_, e) => service.Append(e.Data);
            service._process.BeginOutputReadLine();
            service._process.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    if ((await service.Client.GetAsync("profiler/api/event-types")).IsSuccessStatusCode)
                    {
                        return service;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                await Task.Delay(200);
            }
            await service.DisposeAsync();
            throw new TimeoutException($"ShopService did not start:\n{service.Output}");
        }

        public async Task<JToken> PostAsync(string path, object body)
        {
            var response = await Client.PostAsync(path, new StringContent(JObject.FromObject(body).ToString(), Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            response.IsSuccessStatusCode.Should().BeTrue(text);
            return JToken.Parse(text);
        }

        /// <summary>Calls an endpoint from two loops until the time is up, as traffic would.</summary>
        public Task LoadAsync(string path, TimeSpan duration) => Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            var until = DateTime.UtcNow + duration;
            while (DateTime.UtcNow < until)
            {
                (await Client.GetAsync(path)).EnsureSuccessStatusCode();
            }
        }));

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            Client.Dispose();
            _workingDirectory.Dispose();
        }

        private void Append(string? line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }

    private static async Task<StackProfile> ProfileAsync(Service service, string eventType, string endpoint)
    {
        await service.PostAsync("profiler/api/profiler/start", new { @event = eventType });
        await service.LoadAsync(endpoint, TimeSpan.FromSeconds(3));
        var stopped = await service.PostAsync("profiler/api/profiler/stop", new { });
        var raw = await service.Client.GetStringAsync($"profiler/profiles/{stopped["files"]![0]!["name"]}");
        return FoldedFormat.Read(raw).Profile;
    }

    private static string TopLeaves(StackProfile profile) => string.Join("\n", profile.Stacks
        .GroupBy(s => profile.Frames[s.Frames[^1]].Name).Select(g => (Name: g.Key, Weight: g.Sum(s => s.Weight)))
        .OrderByDescending(g => g.Weight).Take(15).Select(g => $"{g.Weight,6} {g.Name}"));

    private static double Share(StackProfile profile, string method) =>
        (double)profile.Stacks.Where(s => profile.FrameNames(s).Any(n => n.EndsWith(method, StringComparison.Ordinal))).Sum(s => s.Weight) / profile.TotalWeight;

    [Fact]
    public async Task The_mounted_profiler_shows_the_hot_endpoints_method_dominating_for_cpu_and_alloc()
    {
        await using var service = await Service.StartAsync();

        var cpu = await ProfileAsync(service, "cpu", "burn");
        var alloc = await ProfileAsync(service, "alloc", "allocate");

        Share(cpu, "ShopService.Pricing.ComputeDiscounts").Should().BeGreaterThan(0.5, "the service spent its CPU serving /burn; top leaves:\n" + TopLeaves(cpu));
        Share(alloc, "ShopService.Catalog.BuildPage").Should().BeGreaterThan(0.5, "the service allocated while serving /allocate");
        (await service.Client.GetStringAsync("profiler/")).Should().Contain("<title>Pluggable profiler</title>");
    }

    [Fact]
    public async Task A_profile_the_samples_code_takes_with_its_injected_profiler_is_listed_on_its_mounted_page()
    {
        await using var service = await Service.StartAsync();

        var id = await service.PostAsync("allocate/profiled", new { });
        var listed = (JArray)JToken.Parse(await service.Client.GetStringAsync("profiler/api/profiles"));

        listed.Where(f => f["id"]!.Value<int>() == id.Value<int>()).Select(f => f["event"]!.Value<string>()).Should().NotBeEmpty().And.OnlyContain(e => e == "alloc",
            "AddPluggableProfiler gives the code and the page one engine and one store");
    }

    [Fact]
    public async Task The_page_under_a_prefix_without_its_slash_redirects_so_its_relative_links_work()
    {
        await using var service = await Service.StartAsync();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = service.Address };

        var response = await client.GetAsync("profiler");

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().Should().Be("/profiler/");
    }

    [Fact]
    public async Task Listening_beyond_loopback_without_a_policy_or_token_is_warned_about_at_start()
    {
        await using var service = await Service.StartAsync(listenHost: "0.0.0.0");

        service.Output.Should().Contain("REACHABLE WITHOUT AUTHENTICATION");
    }

    [Fact]
    public async Task Serve_starts_and_stops_cleanly_twice_in_one_process()
    {
        for (var round = 0; round < 2; round++)
        {
            await using var server = await ProfilerUi.ServeAsync("127.0.0.1", 0, options =>
            {
                options.ResultsFolder = Path.Combine(Path.GetTempPath(), $"pluggable-serve-{Guid.NewGuid():N}");
                options.PluginFolders.Add(RepoPaths.BuiltPlugins);
            });
            using var client = new HttpClient { BaseAddress = server.Address };

            (await client.GetAsync("api/event-types")).StatusCode.Should().Be(HttpStatusCode.OK);
            server.Engine.Target.IsSelf.Should().BeTrue();
        }
    }
}

using System.Net;
using Newtonsoft.Json.Linq;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

public class StoredFileTests : IAsyncLifetime
{
    private readonly ScriptedSampler _sampler = new("scripted");
    private TestHost _host = null!;
    private string _rawName = "";

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync([_sampler, new FlamegraphRenderer()]);
        var stopped = await _host.ProfileAsync("scripted", TimeSpan.Zero);
        _rawName = stopped["files"]![0]!["name"]!.Value<string>()!;
        File.WriteAllText(Path.Combine(_host.ResultsFolder, "notes.txt"), "not a profile");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_listed_file_is_served_with_its_type()
    {
        var response = await _host.Client.GetAsync($"/profiles/{_rawName}");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        (await response.Content.ReadAsStringAsync()).Should().Contain("Main;Work;Hot 70");
    }

    [Fact]
    public async Task A_planted_file_whose_date_is_none_breaks_neither_the_listing_nor_the_next_stop()
    {
        File.WriteAllText(Path.Combine(_host.ResultsFolder, "94-cpu-20261399-999999.txt"), "x 1\n");

        var listed = (JArray)await _host.GetJsonAsync("/api/profiles");
        var stopped = await _host.ProfileAsync("scripted", TimeSpan.Zero);

        listed.Select(f => f["name"]!.Value<string>()).Should().Contain(_rawName).And.NotContain("94-cpu-20261399-999999.txt");
        stopped["id"]!.Value<int>().Should().Be(2);
        (await RawHttp.StatusAsync(_host.Address, "GET", "/profiles/94-cpu-20261399-999999.txt")).Should().Be(404);
    }

    [Fact]
    public async Task Head_on_a_listed_file_answers_its_type_and_length_without_a_body()
    {
        var get = await _host.Client.GetAsync($"/profiles/{_rawName}");

        var head = await _host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/profiles/{_rawName}"));

        head.StatusCode.Should().Be(HttpStatusCode.OK);
        head.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        head.Content.Headers.ContentLength.Should().Be((await get.Content.ReadAsByteArrayAsync()).Length);
        (await head.Content.ReadAsByteArrayAsync()).Should().BeEmpty();
    }

    [Theory]
    [InlineData("/profiles/notes.txt")]
    [InlineData("/profiles/..%2F..%2Fetc%2Fpasswd")]
    public async Task Head_on_anything_the_store_does_not_list_is_404(string path)
    {
        var status = await RawHttp.StatusAsync(_host.Address, "HEAD", path);

        status.Should().Be(404);
    }

    [Theory]
    [InlineData("/profiles/../Pluggable.sln")]
    [InlineData("/profiles/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/profiles/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/profiles/..%2f..%2fetc%2fpasswd")]
    [InlineData("/profiles/%2Fetc%2Fpasswd")]
    [InlineData("/profiles//etc/passwd")]
    [InlineData("/profiles/notes.txt")]
    [InlineData("/profiles/..%5C..%5Cetc%5Cpasswd")]
    [InlineData("/profiles/.%2e/.%2e/etc/passwd")]
    public async Task Anything_the_store_does_not_list_is_404(string path)
    {
        var status = await RawHttp.StatusAsync(_host.Address, "GET", path);

        status.Should().Be(404);
    }

    [Fact]
    public async Task An_absolute_path_to_a_stored_file_outside_the_route_is_404()
    {
        var status = await RawHttp.StatusAsync(_host.Address, "GET", $"/profiles/{Uri.EscapeDataString(Path.Combine(_host.ResultsFolder, _rawName))}");

        status.Should().Be(404);
    }

    [Fact]
    public async Task A_generated_page_is_served_with_a_policy_that_blocks_outside_requests_and_framing()
    {
        var page = ((JArray)await _host.GetJsonAsync("/api/profiles")).First(f => f["kind"]!.Value<string>() == "flamegraph");

        var response = await _host.Client.GetAsync($"/profiles/{page["name"]}");

        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        var policy = ContentSecurityPolicy.Of(response);
        policy["script-src"].Should().Equal(["'unsafe-inline'"], "a generated page runs only the script inside it: no file, no other host");
        policy["default-src"].Should().Equal("'none'");
        policy["connect-src"].Should().Equal("'self'");
        policy["frame-ancestors"].Should().Equal("'none'");
    }
}

using System.Net;
using Newtonsoft.Json.Linq;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Security;

/// <summary>
/// A symbolic link planted in the results folder under a profile's name, pointing outside it: over HTTP it is neither
/// served, nor listed, nor deleted (the store's own tests cover the store alone).
/// </summary>
public class ResultsFolderLinkTests : IAsyncLifetime
{
    private const string Secret = "Main;Secret 1\n";
    private readonly TempFolder _outside = new("pluggable-outside");
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync([new ScriptedSampler("scripted"), new FlamegraphRenderer()]);
        await _host.ProfileAsync("scripted", TimeSpan.Zero);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _outside.Dispose();
    }

    private string PlantLink(string name)
    {
        var target = _outside.File("secret.txt");
        File.WriteAllText(target, Secret);
        var link = Path.Combine(_host.ResultsFolder, name);
        File.CreateSymbolicLink(link, target);
        return link;
    }

    [Theory]
    [InlineData("GET", "9-scripted-20260101-000000.txt")]
    [InlineData("HEAD", "9-scripted-20260101-000000.txt")]
    [InlineData("GET", "1-scripted-flamegraph-20260101-000000.html")]
    public async Task A_link_out_of_the_results_folder_under_a_stored_name_is_404(string method, string name)
    {
        PlantLink(name);

        var response = await _host.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/profiles/{name}"));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("Secret");
    }

    [Fact]
    public async Task A_link_out_of_the_results_folder_is_neither_listed_nor_deleted()
    {
        var link = PlantLink("9-scripted-20260101-000000.txt");

        var listed = (JArray)await _host.GetJsonAsync("/api/profiles");
        var deleteOne = await _host.Client.DeleteAsync("/api/profiles/9");
        var deleteAll = await _host.Client.DeleteAsync("/api/profiles");

        listed.Select(f => f["id"]!.Value<int>()).Should().OnlyContain(id => id == 1, "only the profile the host stored is listed");
        deleteOne.StatusCode.Should().Be(HttpStatusCode.NotFound);
        deleteAll.StatusCode.Should().Be(HttpStatusCode.OK);
        File.Exists(link).Should().BeTrue("a delete removes only what the store lists");
    }
}

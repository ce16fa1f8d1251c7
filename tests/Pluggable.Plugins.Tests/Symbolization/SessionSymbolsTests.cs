using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.Symbolization;

/// <summary>The samplers pass the <c>symbols</c> option (the operator's, from the options file) to the symbolizer: a real session asks the server it names, at the stop.</summary>
[Collection(ProfilingCollection.Name)]
public class SessionSymbolsTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData("itimer")]
    public async Task A_session_asks_the_configured_server_for_the_runtimes_debug_file_and_says_so(string eventType)
    {
        using var folder = new TempFolder("pluggable-symbols");
        await using var server = await SsqpServer.StartAsync(folder.Sub("served"));
        await using var target = await FixtureProcess.StartAsync("cpu");
        var options = folder.File("options.json");
        File.WriteAllText(options, new JObject { ["symbols"] = new JObject { ["server"] = server.Address.ToString(), ["cache"] = folder.Sub("cache") } }.ToString());
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid, optionsFile: options);

        var stopped = await host.ProfileAsync(eventType, TimeSpan.FromSeconds(2));

        var profile = await host.ReadProfileAsync(stopped);
        profile.Metadata.Properties["missing-symbols"].Should().Contain($"libcoreclr.so: being fetched from {server.Address} for the next profile");
        await server.WaitForRequestsAsync(1);
    }
}

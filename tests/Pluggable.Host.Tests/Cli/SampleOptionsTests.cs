using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Cli;

/// <summary>The README's sample defaults file, as an operator would start with it.</summary>
public class SampleOptionsTests
{
    [Fact]
    public async Task The_sample_options_file_passes_validation_and_every_option_in_it_becomes_a_default()
    {
        using var results = new TempFolder("pluggable-results");
        var sample = Path.Combine(RepoPaths.Root, "pluggable.sample.json");

        await using var host = await HostProcess.StartAsync(["--results", results.Path, "--options", sample]);

        var defaults = (JObject)await host.Client.GetJsonAsync("/api/options");
        foreach (var (name, value) in JObject.Parse(File.ReadAllText(sample)))
        {
            JToken.DeepEquals(defaults[name], value).Should().BeTrue($"'{name}' in the sample is {value}, the host's default is {defaults[name]}");
        }
    }
}

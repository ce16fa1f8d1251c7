using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Testing;

namespace Pluggable.Core.Tests.Plugins;

public class PluginRegistryTests
{
    [Fact]
    public void A_second_plugin_serving_a_taken_event_type_is_listed_as_failed_and_adds_nothing()
    {
        var builder = new PluginRegistryBuilder();
        builder.AddLoaded("first", "1.0", "/p/first", [new ScriptedSampler("cpu")]);

        var second = builder.AddLoaded("second", "2.0", "/p/second", [new ScriptedSampler("cpu"), new ScriptedSampler("alloc", KnownUnits.Bytes)]);
        var registry = builder.Build();

        second.Status.Should().Be(PluginStatus.Failed);
        second.Error.Should().Be("event type 'cpu' is already served by plugin 'first'");
        registry.EventTypes.Select(e => (e.Info.Name, e.Plugin)).Should().Equal(("cpu", "first"));
        registry.Plugins.Select(p => p.Name).Should().Equal("first", "second");
    }

    [Theory]
    [InlineData("CPU")]
    [InlineData("cpu-clock")]
    [InlineData("../x")]
    [InlineData("")]
    public void An_event_type_name_unfit_for_file_names_fails_its_plugin(string name)
    {
        var record = new PluginRegistryBuilder().AddLoaded("bad", "1.0", "/p/bad", [new ScriptedSampler(name)]);

        record.Status.Should().Be(PluginStatus.Failed);
        record.Error.Should().Contain("is not a valid name");
    }

    [Fact]
    public void An_assembly_without_plugin_types_is_listed_as_failed()
    {
        var record = new PluginRegistryBuilder().AddLoaded("empty", "1.0", "/p/empty", []);

        record.Status.Should().Be(PluginStatus.Failed);
        record.Error.Should().Contain("no public ISampler, IRenderer or ITransformFactory");
    }

    [Fact]
    public void Registry_finds_what_each_plugin_offers_and_records_its_kinds()
    {
        var builder = new PluginRegistryBuilder();
        var record = builder.AddLoaded("mixed", "1.0", "/p/mixed", [new ScriptedSampler("cpu"), new RenameTransformFactory()]);
        var registry = builder.Build();

        record.Kinds.Should().Equal(KnownPluginKinds.Sampler, KnownPluginKinds.Transform);
        registry.FindEventType("cpu")!.Plugin.Should().Be("mixed");
        registry.FindTransform("rename").Should().NotBeNull();
        registry.FindRenderer("flamegraph").Should().BeNull();
    }
}

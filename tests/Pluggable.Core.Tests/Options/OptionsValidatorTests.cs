using System.ComponentModel.DataAnnotations;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Testing;

namespace Pluggable.Core.Tests.Options;

public class OptionsValidatorTests
{
    private readonly PluginRegistry _registry;

    public OptionsValidatorTests()
    {
        var builder = new PluginRegistryBuilder();
        builder.AddLoaded("samplers", "1.0", "/plugins/samplers", [new ScriptedSampler("cpu"), new SamplerWithOptions()]);
        builder.AddLoaded("transforms", "1.0", "/plugins/transforms", [new RenameTransformFactory()]);
        builder.AddLoaded("renderers", "1.0", "/plugins/renderers", [new RendererWithoutOptions()]);
        _registry = builder.Build();
    }

    [Fact]
    public void Validate_accepts_known_event_types_options_and_transforms()
    {
        var options = OptionsValidator.Validate(JObject.Parse("""
            {"event": "cpu", "events": {"alloc": {"minSize": 64}}, "transforms": [{"type": "rename", "from": "A", "to": "B"}]}
            """), _registry);

        options.Event.Should().Be("cpu");
        OptionsBinder.Bind<AllocTestOptions>(options.EventSection("alloc"), "events.alloc").MinSize.Should().Be(64);
    }

    [Fact]
    public void Validate_takes_an_interval_down_to_the_event_types_shortest()
    {
        OptionsValidator.Validate(JObject.Parse("""{"event": "alloc", "interval": "5ms"}"""), _registry).Interval.Should().Be(TimeSpan.FromMilliseconds(5));
        OptionsValidator.Validate(JObject.Parse("""{"event": "cpu", "interval": "100us"}"""), _registry).Interval.Should().Be(TimeSpan.FromMicroseconds(100));
    }

    [Fact]
    public void Validate_names_an_unknown_event_type_and_lists_the_known_ones()
    {
        var act = () => OptionsValidator.Validate(JObject.Parse("""{"event": "cycles"}"""), _registry);

        act.Should().Throw<OptionsException>().WithMessage("event: unknown event type 'cycles'; known: cpu, alloc");
    }

    [Fact]
    public void Validate_names_an_unknown_transform_type_with_its_position()
    {
        var act = () => OptionsValidator.Validate(JObject.Parse("""{"transforms": [{"type": "rename", "from": "a", "to": "b"}, {"type": "fold"}]}"""), _registry);

        act.Should().Throw<OptionsException>().WithMessage("transforms[1]: unknown transform type 'fold'; known: rename");
    }

    [Fact]
    public void Validate_passes_on_a_transform_factorys_own_error_with_the_position()
    {
        var act = () => OptionsValidator.Validate(JObject.Parse("""{"transforms": [{"type": "rename", "from": "a"}]}"""), _registry);

        act.Should().Throw<OptionsException>().WithMessage("transforms[0] (rename): \"to\" is required");
    }

    [Theory]
    [InlineData("""{"events": {"alloc": {"minSize": -1}}}""", "events.alloc: *minSize*")]
    [InlineData("""{"events": {"alloc": {"minsise": 1}}}""", "events.alloc: *minsise*")]
    [InlineData("""{"events": {"lock": {}}}""", "events.lock: unknown event type 'lock'*")]
    [InlineData("""{"events": {"cpu": {"x": 1}}}""", "events.cpu: event type 'cpu' takes no options")]
    [InlineData("""{"renderers": {"pdf": {}}}""", "renderers.pdf: unknown renderer 'pdf'*")]
    [InlineData("""{"renderers": {"plain": {"bogus": 1}}}""", "renderers.plain: renderer 'plain' takes no options")]
    [InlineData("""{"event": "alloc", "interval": "1ms"}""", "interval: 1ms is shorter than alloc takes; its shortest is 5ms")]
    [InlineData("""{"event": "cpu", "interval": "50us"}""", "interval: 50us is shorter than cpu takes; its shortest is 100us")]
    public void Validate_refuses_bad_per_plugin_options_naming_where(string json, string message)
    {
        var act = () => OptionsValidator.Validate(JObject.Parse(json), _registry);

        act.Should().Throw<OptionsException>().WithMessage(message);
    }

    public sealed class AllocTestOptions
    {
        /// <summary>Smallest allocation counted. Default 0.</summary>
        [Range(0, int.MaxValue)]
        public int MinSize { get; set; }
    }

    private sealed class RendererWithoutOptions : IRenderer
    {
        public RendererInfo Info { get; } = new("plain", "txt", "text/plain", 1, "test");

        public Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class SamplerWithOptions : ISampler
    {
        public IReadOnlyList<EventTypeInfo> EventTypes => [new("alloc", KnownUnits.Bytes, "test", typeof(AllocTestOptions)) { ShortestInterval = TimeSpan.FromMilliseconds(5) }];

        public Availability Probe(string eventType, TargetProcess target) => Availability.Available;

        public Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}

using Newtonsoft.Json.Linq;
using Pluggable.Core.Options;

namespace Pluggable.Core.Tests.Options;

public class OptionsDocumentTests
{
    [Fact]
    public void Parse_of_malformed_json_names_the_source_line_and_position()
    {
        const string json = "{\n  \"event\": \"cpu\",\n  \"interval\": 10ms\n}";

        var act = () => OptionsDocument.Parse(json, "/etc/pluggable.json");

        act.Should().Throw<OptionsException>().WithMessage("/etc/pluggable.json line 3, position *: *");
    }

    [Fact]
    public void Parse_refuses_a_document_that_is_not_an_object()
    {
        var act = () => OptionsDocument.Parse("[1, 2]", "request body");

        act.Should().Throw<OptionsException>().WithMessage("request body: expected a JSON object*");
    }

    [Fact]
    public void Parse_refuses_duplicate_keys_rather_than_silently_taking_one()
    {
        var act = () => OptionsDocument.Parse("{\"event\": \"cpu\", \"event\": \"alloc\"}", "options.json");

        act.Should().Throw<OptionsException>().WithMessage("options.json line 1, position *");
    }

    [Fact]
    public void Merge_lets_the_request_win_over_the_file_and_the_file_over_the_built_in_defaults()
    {
        var builtIn = JObject.Parse("""{"threads": false, "maxDuration": "1h", "events": {"alloc": {"minSize": 0, "includeType": false}}}""");
        var file = JObject.Parse("""{"threads": true, "interval": "20ms", "events": {"alloc": {"includeType": true}}, "transforms": [{"type": "a"}, {"type": "b"}]}""");
        var request = JObject.Parse("""{"interval": "5ms", "events": {"alloc": {"minSize": 1024}}, "transforms": [{"type": "c"}]}""");

        var merged = OptionsDocument.Merge(builtIn, file, request);

        merged["threads"]!.Value<bool>().Should().BeTrue("the file overrides the built-in default");
        merged["interval"]!.Value<string>().Should().Be("5ms", "the request overrides the file");
        merged["maxDuration"]!.Value<string>().Should().Be("1h", "nothing overrides it");
        merged["events"]!["alloc"]!["includeType"]!.Value<bool>().Should().BeTrue("objects merge key by key");
        merged["events"]!["alloc"]!["minSize"]!.Value<int>().Should().Be(1024);
        ((JArray)merged["transforms"]!).Select(t => t["type"]!.Value<string>()).Should().Equal(["c"], "a request's transform list replaces the file's");
    }

    [Fact]
    public void Merge_does_not_change_its_inputs()
    {
        var file = JObject.Parse("""{"events": {"alloc": {"minSize": 1}}}""");
        OptionsDocument.Merge(file, JObject.Parse("""{"events": {"alloc": {"minSize": 2}}}"""));

        file["events"]!["alloc"]!["minSize"]!.Value<int>().Should().Be(1);
    }
}

public class ProfilingOptionsTests
{
    [Fact]
    public void From_reads_durations_in_units_or_milliseconds()
    {
        ProfilingOptions.From(JObject.Parse("""{"interval": "250us", "maxDuration": "5m"}""")).Interval.Should().Be(TimeSpan.FromMicroseconds(250));
        ProfilingOptions.From(JObject.Parse("""{"interval": 10}""")).Interval.Should().Be(TimeSpan.FromMilliseconds(10));
        ProfilingOptions.From(JObject.Parse("""{"maxDuration": "5m"}""")).MaxDuration.Should().Be(TimeSpan.FromMinutes(5));
        ProfilingOptions.From(new JObject()).MaxDuration.Should().Be(TimeSpan.FromHours(1));
    }

    [Theory]
    [InlineData("""{"intervall": "10ms"}""", "'intervall' is not an option*")]
    [InlineData("""{"interval": "fast"}""", "interval: expected a duration*")]
    [InlineData("""{"interval": 0}""", "interval: must be more than zero")]
    [InlineData("""{"threads": "yes"}""", "threads: expected true or false")]
    [InlineData("""{"transforms": {"type": "x"}}""", "transforms: expected an array*")]
    [InlineData("""{"events": {"alloc": 3}}""", "events.alloc: expected an object*")]
    [InlineData("""{"event": 3}""", "event: expected a string*")]
    [InlineData("""{"interval": 1e308}""", "interval: at most 1s, found 1E+308")]
    [InlineData("""{"interval": 99999999999999999999999}""", "interval: at most 1s, found 99999999999999999999999")]
    [InlineData("""{"interval": "2s"}""", "interval: at most 1s, found \"2s\"")]
    [InlineData("""{"maxDuration": 1e308}""", "maxDuration: at most 720h, found 1E+308")]
    [InlineData("""{"maxDuration": "31d"}""", "maxDuration: expected a duration*")]
    [InlineData("""{"maxDuration": "800h"}""", "maxDuration: at most 720h, found \"800h\"")]
    [InlineData("""{"maxSamples": 99999999999999999999999}""", "maxSamples: expected a whole number from 1 to 9223372036854775807, found 99999999999999999999999")]
    [InlineData("""{"maxSamples": 0}""", "maxSamples: expected a whole number from 1 *, found 0")]
    public void From_refuses_a_bad_value_naming_the_key(string json, string message)
    {
        var act = () => ProfilingOptions.From(JObject.Parse(json));

        act.Should().Throw<OptionsException>().WithMessage(message);
    }

    [Theory]
    [InlineData("10ms", 10_000)]
    [InlineData("1.5s", 1_500_000)]
    [InlineData("2h", 7_200_000_000)]
    [InlineData("100", 100_000)]
    public void Durations_parse_and_format_round_trip(string text, long microseconds)
    {
        Durations.TryParse(text, out var duration).Should().BeTrue();
        duration.Should().Be(TimeSpan.FromMicroseconds(microseconds));
        Durations.TryParse(Durations.Format(duration), out var again).Should().BeTrue();
        again.Should().Be(duration);
    }
}

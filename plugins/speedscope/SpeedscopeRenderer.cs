using Newtonsoft.Json;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.Speedscope;

/// <summary>
/// speedscope's file format (https://www.speedscope.app/file-format-schema.json): one "sampled" profile whose
/// samples are frame-index stacks (root first) with their weights, in the profile's unit.
/// </summary>
public sealed class SpeedscopeRenderer : IRenderer
{
    public const string Schema = "https://www.speedscope.app/file-format-schema.json";

    public RendererInfo Info { get; } = new("speedscope", "speedscope.json", "application/json", 1, "speedscope JSON, to open in speedscope.app");

    public async Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken)
    {
        var profile = request.Profiles[0];
        var metadata = profile.Metadata;
        await using var text = new StreamWriter(output, leaveOpen: true);
        using var json = new JsonTextWriter(text) { CloseOutput = false };
        json.WriteStartObject();
        json.WritePropertyName("$schema");
        json.WriteValue(Schema);
        json.WritePropertyName("exporter");
        json.WriteValue("pluggable");
        json.WritePropertyName("name");
        json.WriteValue($"{metadata.Event} of {metadata.TargetName ?? "a process"}");
        json.WritePropertyName("activeProfileIndex");
        json.WriteValue(0);

        json.WritePropertyName("shared");
        json.WriteStartObject();
        json.WritePropertyName("frames");
        json.WriteStartArray();
        foreach (var frame in profile.Frames)
        {
            json.WriteStartObject();
            json.WritePropertyName("name");
            json.WriteValue(frame.Name);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();

        json.WritePropertyName("profiles");
        json.WriteStartArray();
        json.WriteStartObject();
        json.WritePropertyName("type");
        json.WriteValue("sampled");
        json.WritePropertyName("name");
        json.WriteValue(metadata.Event);
        json.WritePropertyName("unit");
        json.WriteValue(metadata.Unit switch { KnownUnits.Bytes => "bytes", KnownUnits.Nanoseconds => "nanoseconds", _ => "none" });
        json.WritePropertyName("startValue");
        json.WriteValue(0);
        json.WritePropertyName("endValue");
        json.WriteValue(profile.TotalWeight);
        json.WritePropertyName("samples");
        json.WriteStartArray();
        foreach (var stack in profile.Stacks)
        {
            json.WriteStartArray();
            foreach (var frame in stack.Frames)
            {
                json.WriteValue(frame);
            }
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WritePropertyName("weights");
        json.WriteStartArray();
        foreach (var stack in profile.Stacks)
        {
            json.WriteValue(stack.Weight);
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }
}

using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Pluggable.Core.Options;

/// <summary>Reads options JSON with errors that say where, and merges layers of options.</summary>
public static class OptionsDocument
{
    /// <summary>Parses a JSON object. Malformed JSON throws <see cref="OptionsException"/> naming the source, line and position.</summary>
    /// <param name="json">The text.</param>
    /// <param name="source">What the text is, for the message: a file path, or <c>request body</c>.</param>
    public static JObject Parse(string json, string source)
    {
        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None };
            var token = JToken.ReadFrom(reader, new JsonLoadSettings { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error });
            if (reader.Read() && reader.TokenType != JsonToken.Comment)
            {
                throw new OptionsException($"{source} line {reader.LineNumber}, position {reader.LinePosition}: unexpected content after the JSON object");
            }
            return token as JObject
                ?? throw new OptionsException($"{source}: expected a JSON object {{...}}, found {token.Type.ToString().ToLowerInvariant()}");
        }
        catch (JsonReaderException e)
        {
            throw new OptionsException($"{source} line {e.LineNumber}, position {e.LinePosition}: {WithoutLocation(e.Message)}", e);
        }
    }

    public static JObject Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OptionsException($"{path}: cannot read the options file: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Merges layers, later ones winning: objects merge key by key, arrays and values are replaced, nulls are ignored.</summary>
    public static JObject Merge(params IEnumerable<JObject?> layers)
    {
        var result = new JObject();
        foreach (var layer in layers)
        {
            if (layer is not null)
            {
                result.Merge(layer.DeepClone(), new JsonMergeSettings
                {
                    MergeArrayHandling = MergeArrayHandling.Replace,
                    MergeNullValueHandling = MergeNullValueHandling.Ignore,
                });
            }
        }
        return result;
    }

    // Newtonsoft ends its messages with "Path 'x', line 3, position 7."; the location is put first instead.
    private static string WithoutLocation(string message)
    {
        var at = message.IndexOf(" Path '", StringComparison.Ordinal);
        if (at < 0)
        {
            at = message.IndexOf(", line ", StringComparison.Ordinal);
        }
        return (at < 0 ? message : message[..at]).TrimEnd('.', ',', ' ');
    }
}

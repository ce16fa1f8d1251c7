using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Options;

namespace Pluggable.Plugins.Transforms;

/// <summary>Reads a transform's JSON spec, refusing missing or mistyped fields and unknown ones with a message that says which.</summary>
internal sealed class Spec
{
    private readonly JObject _json;
    private readonly HashSet<string> _read = ["type", "enabled"];

    public Spec(JObject json) => _json = json;

    public Regex Regex(string field)
    {
        var pattern = String(field);
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new OptionsException($"\"{field}\" is not a valid regular expression: {e.Message}");
        }
    }

    public Regex? OptionalRegex(string field) => _json[field] is null ? Mark(field, (Regex?)null) : Regex(field);

    public string String(string field)
    {
        _read.Add(field);
        return _json[field] is { Type: JTokenType.String } value
            ? value.Value<string>()!
            : throw new OptionsException(_json[field] is null ? $"\"{field}\" is required" : $"\"{field}\" must be a string");
    }

    public int PositiveInt(string field)
    {
        _read.Add(field);
        return _json[field] is { Type: JTokenType.Integer } value && value.Value<long>() is > 0 and <= int.MaxValue
            ? value.Value<int>()
            : throw new OptionsException(_json[field] is null ? $"\"{field}\" is required" : $"\"{field}\" must be a whole number above zero");
    }

    /// <summary>Call once every field is read: any other field is a typo the user should hear about.</summary>
    public void NoOtherFields()
    {
        foreach (var property in _json.Properties())
        {
            if (!_read.Contains(property.Name))
            {
                throw new OptionsException($"\"{property.Name}\" is not a field of this transform");
            }
        }
    }

    private T Mark<T>(string field, T value)
    {
        _read.Add(field);
        return value;
    }
}

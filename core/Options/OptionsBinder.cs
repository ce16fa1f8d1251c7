using System.ComponentModel.DataAnnotations;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;

namespace Pluggable.Core.Options;

/// <summary>Binds a section of the options to a plugin's options class and validates it (DataAnnotations, then <see cref="IValidatableObject"/>).</summary>
public static class OptionsBinder
{
    private static readonly JsonSerializer Serializer = JsonSerializer.Create(new JsonSerializerSettings
    {
        MissingMemberHandling = MissingMemberHandling.Error,
        ContractResolver = new CamelCasePropertyNamesContractResolver(),
    });

    public static T Bind<T>(JObject? section, string path) where T : class, new() => (T)Bind(typeof(T), section, path);

    /// <summary>Binds and validates; an unknown key, a wrong type or a failed rule throws <see cref="OptionsException"/> whose message starts with <paramref name="path"/>.</summary>
    public static object Bind(Type optionsType, JObject? section, string path)
    {
        object bound;
        try
        {
            bound = (section ?? new JObject()).ToObject(optionsType, Serializer)
                ?? throw new OptionsException("expected an object");
        }
        catch (JsonException e)
        {
            throw new OptionsException($"{path}: {e.Message}", e);
        }
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(bound, new ValidationContext(bound), results, validateAllProperties: true))
        {
            throw new OptionsException($"{path}: {string.Join("; ", results.Select(r => r.ErrorMessage))}");
        }
        return bound;
    }
}

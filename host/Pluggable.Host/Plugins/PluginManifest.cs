using Newtonsoft.Json.Linq;
using Pluggable.Core.Options;

namespace Pluggable.Host.Plugins;

/// <summary>A plugin folder's optional <c>plugin.json</c>: <c>{"name", "kind", "assembly", "version", "description"}</c>. Absent fields fall back to the folder's name and the assembly's version.</summary>
internal sealed record PluginManifest(string? Name, string? Assembly, string? Version)
{
    public const string FileName = "plugin.json";

    public static PluginManifest Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return new PluginManifest(null, null, null);
        }
        var json = OptionsDocument.Load(path);
        string? Field(string key) => json[key] switch
        {
            null => null,
            { Type: JTokenType.String } value => value.Value<string>(),
            _ => throw new OptionsException($"{path}: \"{key}\" must be a string"),
        };
        var assembly = Field("assembly");
        if (assembly is not null && (assembly != Path.GetFileName(assembly) || !assembly.EndsWith(".dll", StringComparison.Ordinal)))
        {
            throw new OptionsException($"{path}: \"assembly\" must be the name of a .dll in the plugin's folder");
        }
        return new PluginManifest(Field("name"), assembly, Field("version"));
    }
}

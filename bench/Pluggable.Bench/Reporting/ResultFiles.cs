using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pluggable.Bench.Reporting;

/// <summary>The results folder: one JSON file per command (overhead.json, processing.json, page.json, footprint.json).</summary>
public sealed class ResultFiles(string folder)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string Folder { get; } = Path.GetFullPath(folder);

    public string PathOf(string name) => Path.Combine(Folder, name);

    public void Write<T>(string name, T results)
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(PathOf(name), JsonSerializer.Serialize(results, Json));
        Console.WriteLine($"wrote {PathOf(name)}");
    }

    /// <summary>The results of a command, or null when it has not run yet.</summary>
    public T? Read<T>(string name) where T : class =>
        File.Exists(PathOf(name)) ? JsonSerializer.Deserialize<T>(File.ReadAllText(PathOf(name)), Json) : null;
}

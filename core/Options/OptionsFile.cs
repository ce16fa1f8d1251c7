using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Pluggable.Core.Options;

/// <summary>The file that holds the default options: read at start, rewritten when the defaults are replaced.</summary>
public sealed class OptionsFile(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>The file's options; a missing, unreadable or malformed file throws <see cref="OptionsException"/> naming it (and the line and position).</summary>
    public JObject Load() => OptionsDocument.Load(Path);

    /// <summary>The file's options, or null when there is no file yet.</summary>
    public JObject? LoadIfExists() => File.Exists(Path) ? Load() : null;

    /// <summary>Writes the options atomically (a temporary file renamed over the old one), keeping the previous file as <c>.bak</c>.</summary>
    public void Save(JObject options)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(options.ToString(Formatting.Indented));
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            if (File.Exists(Path))
            {
                File.Copy(Path, Path + ".bak", overwrite: true);
            }
            File.Move(temp, Path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}

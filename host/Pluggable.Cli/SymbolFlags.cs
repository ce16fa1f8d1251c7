using Newtonsoft.Json.Linq;
using Pluggable.Core.Options;
using Pluggable.Host;

namespace Pluggable.Cli;

/// <summary>The command line's <c>--symbols DIR</c> and <c>--symbol-server URL|none</c>: the <c>symbols</c> option, over the defaults file's.</summary>
internal static class SymbolFlags
{
    /// <summary>The options the flags set, or null when neither was given; a bad value throws <see cref="HostConfigurationException"/> naming the flag.</summary>
    public static JObject? ToOptions(string[]? folders, string? server)
    {
        var symbols = new JObject();
        if (folders is { Length: > 0 })
        {
            // On the command line a relative folder means one under the current folder, which the options file cannot know.
            symbols["paths"] = new JArray(folders.Select(Path.GetFullPath));
        }
        if (server is not null)
        {
            symbols["server"] = server;
            try
            {
                SymbolOptions.From(symbols);
            }
            catch (OptionsException e)
            {
                throw new HostConfigurationException($"--symbol-server: {e.Message}", e);
            }
        }
        return symbols.Count == 0 ? null : new JObject { ["symbols"] = symbols };
    }
}

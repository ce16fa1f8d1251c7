using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;

namespace Pluggable.Host.Engine;

/// <summary>
/// The layers every command's options are merged from: the request over the overrides (the command line's) over the
/// defaults file over the built-in defaults, validated against the plugins. Only the file's layer can be replaced.
/// </summary>
internal sealed class ProfilerDefaults
{
    private const string SymbolsAreTheOperators =
        "symbols: where debug files are read, cached and fetched from is set in the options file or with --symbols and --symbol-server, not by a request";

    private readonly PluginRegistry _registry;
    private readonly JObject? _overrides;
    private readonly OptionsFile? _defaultsFile;
    private readonly ILogger _logger;
    private readonly Lock _replacing = new();
    private JObject _fileDefaults;

    /// <param name="registry">The plugins the options are validated against.</param>
    /// <param name="fileDefaults">The defaults file's content, or null; invalid defaults throw <see cref="OptionsException"/>.</param>
    /// <param name="overrides">Options that win over the file's, and that replacing it keeps; null for none.</param>
    /// <param name="defaultsFile">Where <see cref="Replace"/> saves the file's layer; null keeps it in memory only.</param>
    /// <param name="logger">The engine's.</param>
    public ProfilerDefaults(PluginRegistry registry, JObject? fileDefaults, JObject? overrides, OptionsFile? defaultsFile, ILogger logger)
    {
        _registry = registry;
        _overrides = overrides;
        _defaultsFile = defaultsFile;
        _logger = logger;
        _fileDefaults = fileDefaults ?? new JObject();
        Effective = OptionsValidator.Validate(OptionsDocument.Merge(ProfilingOptions.BuiltIn, _fileDefaults, _overrides), registry);
    }

    /// <summary>The options of a command that asks for none.</summary>
    public ProfilingOptions Effective { get; private set; }

    /// <summary>The file's layer as it is now.</summary>
    public JObject FileLayer => (JObject)_fileDefaults.DeepClone();

    /// <summary>The options a command runs with: <paramref name="request"/> over the defaults; a request may not set <c>symbols</c>.</summary>
    public ProfilingOptions For(JObject? request)
    {
        if (request?["symbols"] is not null)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, SymbolsAreTheOperators);
        }
        return BadOptions.Refused(() => OptionsValidator.Validate(OptionsDocument.Merge(ProfilingOptions.BuiltIn, _fileDefaults, _overrides, request), _registry));
    }

    /// <summary>Validates the new file layer, saves it (the old file kept as <c>.bak</c>), then uses it; on any failure nothing changes.</summary>
    public ProfilingOptions Replace(JObject fileDefaults)
    {
        var validated = BadOptions.Refused(() => OptionsValidator.Validate(OptionsDocument.Merge(ProfilingOptions.BuiltIn, fileDefaults, _overrides), _registry));
        lock (_replacing)
        {
            try
            {
                _defaultsFile?.Save(fileDefaults);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ProfilerException(ProfilerErrorKind.StorageFailed, $"the defaults could not be saved to {_defaultsFile!.Path}: {e.Message}; the defaults in use are unchanged", e);
            }
            _fileDefaults = (JObject)fileDefaults.DeepClone();
            Effective = validated;
        }
        _logger.LogInformation("Default options replaced{Where}", _defaultsFile is null ? " (in memory only)" : $" and saved to {_defaultsFile.Path}");
        return validated;
    }

    /// <summary>
    /// <see cref="Replace"/> for a request from the page or the API, which may not change <c>symbols</c>: it says which
    /// folders the host reads and writes and which server it calls, the operator's to set. A request without
    /// <c>symbols</c> keeps the file's.
    /// </summary>
    public ProfilingOptions ReplaceFromRequest(JObject fileDefaults)
    {
        var current = _fileDefaults["symbols"];
        if (fileDefaults["symbols"] is { } requested && !JToken.DeepEquals(requested, current))
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, SymbolsAreTheOperators);
        }
        var replacement = (JObject)fileDefaults.DeepClone();
        if (current is not null)
        {
            replacement["symbols"] = current.DeepClone();
        }
        return Replace(replacement);
    }
}

using Microsoft.Extensions.Logging;

namespace Pluggable.Core.Contracts;

/// <summary>What the host hands a plugin's constructor, when the plugin class has a constructor that takes it (a parameterless one works too).</summary>
/// <param name="LoggerFactory">For the plugin's own loggers.</param>
/// <param name="Directory">The plugin's folder, for files it ships beside its assembly.</param>
public sealed record PluginContext(ILoggerFactory LoggerFactory, string Directory);

/// <summary>
/// The version of the plugin contracts (the interfaces and types of this assembly that plugins use). It is this
/// assembly's major version: a plugin built against another major version is refused at load, with both versions
/// named, rather than failing at its first call.
/// </summary>
public static class PluginContract
{
    public static int Version { get; } = typeof(PluginContract).Assembly.GetName().Version!.Major;
}

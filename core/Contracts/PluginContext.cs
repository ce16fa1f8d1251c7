using Microsoft.Extensions.Logging;

namespace Pluggable.Core.Contracts;

/// <summary>What the host hands a plugin's constructor, when the plugin class has a constructor that takes it (a parameterless one works too).</summary>
/// <param name="LoggerFactory">For the plugin's own loggers.</param>
/// <param name="Directory">The plugin's folder, for files it ships beside its assembly.</param>
public sealed record PluginContext(ILoggerFactory LoggerFactory, string Directory);

using System.Reflection;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;

namespace Pluggable.Host.Plugins;

/// <summary>
/// Loads every plugin folder (<c>&lt;dir&gt;/&lt;name&gt;/&lt;name&gt;.dll</c>, or the assembly its <c>plugin.json</c> names) into
/// its own load context, sharing the core contracts with the host. A folder that fails to load, or whose plugin
/// throws from its constructor or its probe, is logged and listed as failed; the others load regardless.
/// </summary>
public sealed class PluginFolderLoader(ILoggerFactory loggerFactory)
{
    /// <summary>
    /// Types whose assemblies the host and every plugin must see as one: the contracts and the libraries their
    /// signatures use (logging, Newtonsoft.Json's JObject). Everything else a plugin uses loads from its own folder,
    /// in its own version, whatever the host or other plugins use.
    /// </summary>
    private static readonly Type[] SharedTypes = [typeof(ISampler), typeof(ILogger), typeof(JObject)];

    private readonly ILogger _logger = loggerFactory.CreateLogger<PluginFolderLoader>();

    public PluginRegistry LoadAll(IEnumerable<string> pluginDirectories, TargetProcess target)
    {
        var builder = new PluginRegistryBuilder();
        foreach (var directory in pluginDirectories.Select(Path.GetFullPath).Distinct())
        {
            if (!Directory.Exists(directory))
            {
                _logger.LogWarning("Plugins folder {Directory} does not exist; no plugins loaded from it", directory);
                continue;
            }
            foreach (var folder in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
            {
                var record = LoadFolder(folder, target, builder);
                if (record.Status == PluginStatus.Loaded)
                {
                    _logger.LogInformation("Loaded plugin {Plugin} {Version} ({Kinds}) from {Folder}", record.Name, record.Version, string.Join(", ", record.Kinds), folder);
                }
                else
                {
                    _logger.LogError("Plugin {Plugin} from {Folder} failed to load: {Error}", record.Name, folder, record.Error);
                }
            }
        }
        return builder.Build();
    }

    private PluginRecord LoadFolder(string folder, TargetProcess target, PluginRegistryBuilder builder)
    {
        var folderName = Path.GetFileName(folder);
        PluginManifest manifest;
        try
        {
            manifest = PluginManifest.Read(folder);
        }
        catch (OptionsException e)
        {
            return builder.AddFailed(folderName, "", folder, e.Message);
        }

        var assemblyPath = Path.Combine(folder, manifest.Assembly ?? folderName + ".dll");
        var name = manifest.Name ?? folderName;
        if (!File.Exists(assemblyPath))
        {
            return builder.AddFailed(name, manifest.Version ?? "", folder, $"no plugin assembly: {Path.GetFileName(assemblyPath)} is not in {folder}");
        }

        string version = manifest.Version ?? "";
        List<object> instances;
        try
        {
            if (ContractVersionOf(assemblyPath) is { } built && built != PluginContract.Version)
            {
                return builder.AddFailed(name, version, folder, $"built for contract {built}, host has {PluginContract.Version}: rebuild the plugin against Pluggable.Core {PluginContract.Version}.x");
            }
            // Lazily: shared eagerly, McMaster loads every assembly the shared ones reference, transitively, at once;
            // Newtonsoft.Json's references alone bring in XML, System.Data, HTTP, QUIC, TLS and crypto (about 8 MB
            // mapped) that nothing here runs. Lazily, a reference joins the shared set when its shared assembly is
            // first resolved, which is before any plugin code runs, since the contracts' types are resolved to create it.
            var loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, SharedTypes, config =>
            {
                config.PreferSharedTypes = false;
                config.IsLazyLoaded = true;
            });
            var assembly = loader.LoadDefaultAssembly();
            version = manifest.Version ?? assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? assembly.GetName().Version?.ToString() ?? "";
            instances = CreateInstances(assembly, new PluginContext(loggerFactory, folder));
            foreach (var sampler in instances.OfType<ISampler>())
            {
                foreach (var eventType in sampler.EventTypes)
                {
                    sampler.Probe(eventType.Name, target);
                }
            }
        }
        catch (Exception e)
        {
            var root = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
            return builder.AddFailed(name, version, folder, $"{root.GetType().Name}: {root.Message}");
        }
        return builder.AddLoaded(name, version, folder, instances);
    }

    /// <summary>The major version of Pluggable.Core the plugin assembly was built against, read from its metadata without loading it; null when it references none.</summary>
    private static int? ContractVersionOf(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        foreach (var handle in metadata.AssemblyReferences)
        {
            var reference = metadata.GetAssemblyReference(handle);
            if (metadata.GetString(reference.Name) == typeof(PluginContract).Assembly.GetName().Name)
            {
                return reference.Version.Major;
            }
        }
        return null;
    }

    private static List<object> CreateInstances(Assembly assembly, PluginContext context)
    {
        var instances = new List<object>();
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type is not { IsClass: true, IsAbstract: false } || !IsPluginType(type))
            {
                continue;
            }
            if (type.GetConstructor([typeof(PluginContext)]) is { } withContext)
            {
                instances.Add(withContext.Invoke([context]));
            }
            else if (type.GetConstructor(Type.EmptyTypes) is { } parameterless)
            {
                instances.Add(parameterless.Invoke([]));
            }
        }
        return instances;
    }

    private static bool IsPluginType(Type type) =>
        typeof(ISampler).IsAssignableFrom(type) || typeof(IRenderer).IsAssignableFrom(type) || typeof(ITransformFactory).IsAssignableFrom(type);
}

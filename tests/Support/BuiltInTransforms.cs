using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.Transforms;

namespace Pluggable.Testing;

/// <summary>The transforms plugin's factories in a registry, as the host loads them, for tests that apply transforms in C#.</summary>
public static class BuiltInTransforms
{
    public static PluginRegistry Registry()
    {
        var factories = typeof(FilterTransformFactory).Assembly.GetExportedTypes()
            .Where(t => typeof(ITransformFactory).IsAssignableFrom(t))
            .Select(t => Activator.CreateInstance(t)!)
            .ToArray();
        var builder = new PluginRegistryBuilder();
        builder.AddLoaded("transforms", "1.0", "/plugins/transforms", factories);
        return builder.Build();
    }

    /// <summary>A render request as the host makes one: the profile after the transforms, and before them.</summary>
    public static RenderRequest Request(StackProfile profile, JArray transforms, JObject? options = null) =>
        new([TransformPipeline.Build(transforms, Registry()).Apply(profile)], transforms, options ?? new JObject()) { Untransformed = [profile] };
}

using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.FlamegraphPage;
using Pluggable.Plugins.Diffgraph;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.FlamegraphPage;

/// <summary>
/// The flamegraph page is one library that the flamegraph and the diffgraph plugins both ship, so neither plugin
/// carries the other: a newer flamegraph plugin dropped in beside an older diffgraph cannot leave one of them
/// drawing with a stale copy of the other plugin's code.
/// </summary>
public class SharedPageTests
{
    private static readonly string PageSources = Path.Combine(RepoPaths.Root, "plugins", "shared", "Pluggable.FlamegraphPage", "Page");

    [Theory]
    [InlineData("html-flamegraph", "diffgraph")]
    [InlineData("diffgraph", "html-flamegraph")]
    public void A_page_renderer_is_built_against_the_page_library_and_against_no_other_plugin(string plugin, string otherPageRenderer)
    {
        var folder = Path.Combine(RepoPaths.BuiltPlugins, plugin);
        var otherPlugins = Directory.GetDirectories(RepoPaths.BuiltPlugins).Select(path => Path.GetFileName(path)).Where(name => name != plugin).ToArray();
        otherPlugins.Should().Contain(otherPageRenderer, "the other plugins are built beside this one");

        AssemblyReferencesOf(Path.Combine(folder, plugin + ".dll")).Should().Contain("Pluggable.FlamegraphPage").And.NotContain(otherPlugins);
        LibrariesIn(Path.Combine(folder, plugin + ".deps.json")).Should().Contain("Pluggable.FlamegraphPage").And.NotContain(otherPlugins);
        File.Exists(Path.Combine(folder, "Pluggable.FlamegraphPage.dll")).Should().BeTrue("the page library ships in the folder of each plugin that draws the page");
    }

    [Fact]
    public async Task The_diffgraph_page_is_the_page_librarys_template_which_neither_renderer_embeds_a_copy_of()
    {
        var profiles = new[] { FoldedFormat.Read("Main;Hot 7\n").Profile, FoldedFormat.Read("Main;Hot 9\n").Profile };
        using var output = new MemoryStream();
        await new DiffgraphRenderer().RenderAsync(new RenderRequest(profiles, [], new JObject()), output, CancellationToken.None);
        var html = System.Text.Encoding.UTF8.GetString(output.ToArray());

        var template = File.ReadAllText(Path.Combine(PageSources, "flamegraph.html"));
        Regex.Split(template, @"\{\{TITLE\}\}|/\*TRANSFORMS\*/|/\*DATA\*/null").Should().HaveCount(4)
            .And.OnlyContain(part => html.Contains(part, StringComparison.Ordinal), "every fixed part of the library's template is in the page");
        html.Should().Contain(File.ReadAllText(Path.Combine(PageSources, "transforms.js")));
        typeof(PageTemplate).Assembly.GetManifestResourceNames().Should().BeEquivalentTo(["page/flamegraph.html", "page/transforms.js"]);
        typeof(DiffgraphRenderer).Assembly.GetManifestResourceNames().Should().BeEmpty();
        typeof(FlamegraphRenderer).Assembly.GetManifestResourceNames().Should().BeEmpty();
    }

    /// <summary>The assemblies a plugin's metadata references, read without loading it (it would load into this test's context).</summary>
    private static string[] AssemblyReferencesOf(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var metadata = pe.GetMetadataReader();
        return metadata.AssemblyReferences.Select(handle => metadata.GetString(metadata.GetAssemblyReference(handle).Name)).ToArray();
    }

    /// <summary>The libraries a plugin's deps.json lists (the loader resolves its dependencies from it), without their versions.</summary>
    private static string[] LibrariesIn(string depsJsonPath) =>
        ((JObject)JObject.Parse(File.ReadAllText(depsJsonPath))["libraries"]!).Properties().Select(library => library.Name.Split('/')[0]).ToArray();
}

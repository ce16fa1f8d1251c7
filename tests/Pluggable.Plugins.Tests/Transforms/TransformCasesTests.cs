using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.Transforms;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.Transforms;

/// <summary>
/// The shared cases of tests/Cases/transforms.json, run through the C# transforms and through the page's JavaScript
/// (under node): both must give the expected stacks, so the page shows what the server would render.
/// </summary>
public class TransformCasesTests
{
    private static readonly string CasesPath = Path.Combine(RepoPaths.Tests, "Cases", "transforms.json");
    private static readonly JArray Cases = JArray.Parse(File.ReadAllText(CasesPath));
    private static readonly string PageScript = Path.Combine(RepoPaths.Root, "plugins", "shared", "Pluggable.FlamegraphPage", "Page", "transforms.js");

    public static TheoryData<string> CaseNames() => new(Cases.Select(c => c["name"]!.Value<string>()!));

    internal static string Normalize(StackProfile profile) =>
        string.Join("\n", profile.Stacks.Select(s => $"{string.Join(";", profile.FrameNames(s))} {s.Weight}").Order(StringComparer.Ordinal));

    private static string Normalize(string folded) => Normalize(FoldedFormat.Read(folded).Profile);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void The_CSharp_transforms_give_the_expected_stacks(string name)
    {
        var testCase = Cases.Single(c => c["name"]!.Value<string>() == name);

        var pipeline = TransformPipeline.Build((JArray)testCase["transforms"]!, BuiltInTransforms.Registry());
        var result = pipeline.Apply(FoldedFormat.Read(testCase["input"]!.Value<string>()!).Profile);

        Normalize(result).Should().Be(Normalize(testCase["expected"]!.Value<string>()!));
    }

    [SkippableFact]
    public void The_pages_JavaScript_transforms_give_the_same_stacks_as_the_expected_ones()
    {
        Skip.If(FindNode() is null, "node is not installed, so the page's JavaScript cannot run outside a browser here");
        var start = new ProcessStartInfo(FindNode()!, [Path.Combine(RepoPaths.Tests, "Cases", "run-transforms.js"),
            PageScript, CasesPath])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEnd();
        var errors = node.StandardError.ReadToEnd();
        node.WaitForExit();
        node.ExitCode.Should().Be(0, errors);

        var results = JObject.Parse(output);
        foreach (var testCase in Cases)
        {
            var name = testCase["name"]!.Value<string>()!;
            results[name]!.Value<string>().Should().Be(Normalize(testCase["expected"]!.Value<string>()!), $"case '{name}'");
        }
    }

    [SkippableFact]
    public void The_page_applies_exactly_the_transform_types_the_renderer_leaves_to_it_and_the_plugin_provides()
    {
        Skip.If(FindNode() is null, "node is not installed, so the page's JavaScript cannot run outside a browser here");
        var start = new ProcessStartInfo(FindNode()!, ["-e", $"process.stdout.write(JSON.stringify(require({JsonConvertString(PageScript)}).types))"])
        { RedirectStandardOutput = true };
        using var node = Process.Start(start)!;
        var pageTypes = JArray.Parse(node.StandardOutput.ReadToEnd()).Values<string>().ToArray();
        node.WaitForExit();

        pageTypes.Should().BeEquivalentTo(Pluggable.FlamegraphPage.PageData.PageTransformTypes);
        BuiltInTransforms.Registry().Transforms.Select(t => t.Info.Type).Should().BeEquivalentTo(pageTypes);
    }

    private static string JsonConvertString(string text) => Newtonsoft.Json.JsonConvert.ToString(text);

    [Theory]
    [InlineData("""[{"type": "filter"}]""", "transforms[0] (filter): \"what\" is required")]
    [InlineData("""[{"type": "replace", "what": "(", "replacement": ""}]""", "transforms[0] (replace): \"what\" is not a valid regular expression*")]
    [InlineData("""[{"type": "truncate", "depth": 0}]""", "transforms[0] (truncate): \"depth\" must be a whole number above zero")]
    [InlineData("""[{"type": "hide", "what": "x", "wat": "y"}]""", "transforms[0] (hide): \"wat\" is not a field of this transform")]
    [InlineData("""[{"type": "fold-async"}, {"type": "filer", "what": "x"}]""", "transforms[1]: unknown transform type 'filer'*")]
    public void A_bad_spec_is_refused_naming_its_position_and_what_is_wrong(string specs, string message)
    {
        var act = () => TransformPipeline.Build(JArray.Parse(specs), BuiltInTransforms.Registry());

        act.Should().Throw<OptionsException>().WithMessage(message);
    }

    private static string? FindNode() =>
        new[] { "/usr/bin/node", "/usr/local/bin/node" }.FirstOrDefault(File.Exists)
        ?? Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
}

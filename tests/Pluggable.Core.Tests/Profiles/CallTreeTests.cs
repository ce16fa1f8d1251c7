using Pluggable.Core.Profiles;

namespace Pluggable.Core.Tests.Profiles;

public class CallTreeTests
{
    [Fact]
    public void Build_merges_shared_prefixes_and_splits_total_into_self_and_children()
    {
        var profile = FoldedFormat.Read("Main;Run;Hot 70\nMain;Run;Cold 20\nMain;Run 10\nMain;Other 5\n").Profile;

        var tree = CallTree.Build(profile);

        var visited = new List<(string Name, int Depth, long Total, long Self)>();
        tree.VisitDepthFirst((node, depth) => visited.Add((tree.Frames[tree.FrameOf(node)].Name, depth, tree.TotalOf(node), tree.SelfOf(node))));
        visited.Should().Equal(
            ("Main", 0, 105L, 0L),
            ("Other", 1, 5L, 5L),
            ("Run", 1, 100L, 10L),
            ("Cold", 2, 20L, 20L),
            ("Hot", 2, 70L, 70L));
        tree.TotalOf(0).Should().Be(105);
    }

    [Fact]
    public void Build_of_two_profiles_keeps_each_ones_weights_on_the_shared_paths()
    {
        var before = FoldedFormat.Read("Main;Parse 70\nMain;Render 30\n").Profile;
        var after = FoldedFormat.Read("Main;Parse 30\nMain;Cache 60\nMain;Render 10\n").Profile;

        var tree = CallTree.Build(before, after);

        var byName = new Dictionary<string, (long Before, long After)>();
        tree.VisitDepthFirst((node, _) => byName[tree.Frames[tree.FrameOf(node)].Name] = (tree.TotalOf(node, 0), tree.TotalOf(node, 1)));
        byName.Should().Equal(new Dictionary<string, (long, long)>
        {
            ["Main"] = (100, 100), ["Cache"] = (0, 60), ["Parse"] = (70, 30), ["Render"] = (30, 10),
        });
        tree.Sides.Should().Be(2);
    }
}

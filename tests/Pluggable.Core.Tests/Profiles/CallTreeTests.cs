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
        tree.VisitDepthFirst((node, depth) => visited.Add((profile.Frames[tree.FrameOf(node)].Name, depth, tree.TotalOf(node), tree.SelfOf(node))));
        visited.Should().Equal(
            ("Main", 0, 105L, 0L),
            ("Other", 1, 5L, 5L),
            ("Run", 1, 100L, 10L),
            ("Cold", 2, 20L, 20L),
            ("Hot", 2, 70L, 70L));
        tree.TotalOf(0).Should().Be(105);
    }
}

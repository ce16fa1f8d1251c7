namespace Pluggable.Core.Profiles;

/// <summary>
/// A profile's stacks merged into a prefix tree: one node per distinct call path, with its total weight (itself and
/// everything it called) and its self weight (stacks that end there). Children are ordered by frame name, as
/// flamegraphs draw them. Node 0 is the root, which stands for all stacks and has no frame.
/// </summary>
public sealed class CallTree
{
    private readonly List<int> _frame = [-1];
    private readonly List<int> _parent = [-1];
    private readonly List<long> _total = [0];
    private readonly List<long> _self = [0];
    private readonly List<Dictionary<int, int>?> _children = [null];

    private CallTree(StackProfile profile) => Profile = profile;

    public StackProfile Profile { get; }

    public int Count => _frame.Count;

    /// <summary>The node's frame id in <see cref="StackProfile.Frames"/>; -1 for the root.</summary>
    public int FrameOf(int node) => _frame[node];

    public int ParentOf(int node) => _parent[node];

    public long TotalOf(int node) => _total[node];

    public long SelfOf(int node) => _self[node];

    /// <summary>The node's children, ordered by frame name (ordinal).</summary>
    public IEnumerable<int> ChildrenOf(int node) =>
        _children[node] is { } children
            ? children.Values.OrderBy(child => Profile.Frames[_frame[child]].Name, StringComparer.Ordinal)
            : [];

    /// <summary>Builds the tree of <paramref name="profile"/>.</summary>
    public static CallTree Build(StackProfile profile)
    {
        var tree = new CallTree(profile);
        foreach (var stack in profile.Stacks)
        {
            var node = 0;
            tree._total[0] += stack.Weight;
            foreach (var frame in stack.Frames)
            {
                node = tree.Child(node, frame);
                tree._total[node] += stack.Weight;
            }
            tree._self[node] += stack.Weight;
        }
        return tree;
    }

    /// <summary>Visits every node but the root depth-first, parents before children, children in <see cref="ChildrenOf"/> order; depth 0 is a root's child.</summary>
    public void VisitDepthFirst(Action<int, int> visit)
    {
        var pending = new Stack<(int Node, int Depth)>();
        foreach (var child in ChildrenOf(0).Reverse())
        {
            pending.Push((child, 0));
        }
        while (pending.Count > 0)
        {
            var (node, depth) = pending.Pop();
            visit(node, depth);
            foreach (var child in ChildrenOf(node).Reverse())
            {
                pending.Push((child, depth + 1));
            }
        }
    }

    private int Child(int parent, int frame)
    {
        var children = _children[parent] ??= [];
        if (!children.TryGetValue(frame, out var child))
        {
            child = _frame.Count;
            _frame.Add(frame);
            _parent.Add(parent);
            _total.Add(0);
            _self.Add(0);
            _children.Add(null);
            children.Add(frame, child);
        }
        return child;
    }
}

namespace Pluggable.Core.Profiles;

/// <summary>
/// Stacks merged into a prefix tree: one node per distinct call path, with, for each profile it was built from, the
/// total weight (itself and everything it called) and the self weight (stacks that end there). Built from two
/// profiles (before, after), it is the comparison a diffgraph draws: the same paths, two weights each. Children are
/// ordered by frame name, as flamegraphs draw them. Node 0 is the root, which stands for all stacks and has no frame.
/// </summary>
public sealed class CallTree
{
    private readonly List<Frame> _frames = [];
    private readonly Dictionary<Frame, int> _frameIds = [];
    private readonly List<int> _frame = [-1];
    private readonly List<int> _parent = [-1];
    private readonly List<long[]> _total;
    private readonly List<long[]> _self;
    private readonly List<Dictionary<int, int>?> _children = [null];

    private CallTree(int sides)
    {
        Sides = sides;
        _total = [new long[sides]];
        _self = [new long[sides]];
    }

    /// <summary>The frames of every profile the tree was built from, each once.</summary>
    public IReadOnlyList<Frame> Frames => _frames;

    /// <summary>How many profiles the tree was built from; each node has a weight for each.</summary>
    public int Sides { get; }

    public int Count => _frame.Count;

    /// <summary>The node's frame id in <see cref="Frames"/>; -1 for the root.</summary>
    public int FrameOf(int node) => _frame[node];

    public int ParentOf(int node) => _parent[node];

    public long TotalOf(int node, int side = 0) => _total[node][side];

    public long SelfOf(int node, int side = 0) => _self[node][side];

    /// <summary>The node's children, ordered by frame name (ordinal).</summary>
    public IEnumerable<int> ChildrenOf(int node) =>
        _children[node] is { } children
            ? children.Values.OrderBy(child => _frames[_frame[child]].Name, StringComparer.Ordinal).ThenBy(child => _frames[_frame[child]].Kind)
            : [];

    /// <summary>Builds the tree of one profile, or the merged tree of several (side i holds profile i's weights).</summary>
    public static CallTree Build(params IReadOnlyList<StackProfile> profiles)
    {
        var tree = new CallTree(profiles.Count);
        for (var side = 0; side < profiles.Count; side++)
        {
            var profile = profiles[side];
            var ids = profile.Frames.Select(tree.Intern).ToArray();
            foreach (var stack in profile.Stacks)
            {
                var node = 0;
                tree._total[0][side] += stack.Weight;
                foreach (var frame in stack.Frames)
                {
                    node = tree.Child(node, ids[frame]);
                    tree._total[node][side] += stack.Weight;
                }
                tree._self[node][side] += stack.Weight;
            }
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

    private int Intern(Frame frame)
    {
        if (!_frameIds.TryGetValue(frame, out var id))
        {
            id = _frames.Count;
            _frames.Add(frame);
            _frameIds.Add(frame, id);
        }
        return id;
    }

    private int Child(int parent, int frame)
    {
        var children = _children[parent] ??= [];
        if (!children.TryGetValue(frame, out var child))
        {
            child = _frame.Count;
            _frame.Add(frame);
            _parent.Add(parent);
            _total.Add(new long[Sides]);
            _self.Add(new long[Sides]);
            _children.Add(null);
            children.Add(frame, child);
        }
        return child;
    }
}

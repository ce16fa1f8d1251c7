namespace Pluggable.Core.Profiles;

/// <summary>
/// Stacks merged into a prefix tree: one node per distinct call path, with, for each profile it was built from, the
/// total weight (itself and everything it called) and the self weight (stacks that end there). Built from two
/// profiles (before, after), it is the comparison a diffgraph draws: the same paths, two weights each. Node 0 is the
/// root, which stands for all stacks and has no frame; the others are numbered depth first, children ordered by frame
/// name, as flamegraphs draw them.
/// </summary>
/// <remarks>
/// Built by sorting the stacks by their frames' names and merging neighbours' shared prefixes, which needs no table per
/// node: a 200k-stack profile builds in a fraction of a second.
/// </remarks>
public sealed class CallTree
{
    private readonly Frame[] _frames;
    private readonly int[] _frame;
    private readonly int[] _depth;
    private readonly int[] _parent;
    private readonly int[] _end;
    private readonly long[] _self;
    private readonly long[] _total;

    private CallTree(Frame[] frames, int sides, List<int> frame, List<int> depth, List<long> self)
    {
        _frames = frames;
        Sides = sides;
        _frame = [.. frame];
        _depth = [.. depth];
        var count = _frame.Length;
        _self = [.. self];
        _total = (long[])_self.Clone();
        _parent = new int[count];
        _end = new int[count];
        var open = new Stack<int>();
        open.Push(0);
        _parent[0] = -1;
        for (var node = 1; node < count; node++)
        {
            while (_depth[open.Peek()] >= _depth[node])
            {
                _end[open.Pop()] = node;
            }
            _parent[node] = open.Peek();
            open.Push(node);
        }
        while (open.Count > 0)
        {
            _end[open.Pop()] = count;
        }
        for (var node = count - 1; node > 0; node--)
        {
            for (var side = 0; side < sides; side++)
            {
                _total[(_parent[node] * sides) + side] += _total[(node * sides) + side];
            }
        }
    }

    /// <summary>The frames of every profile the tree was built from, each once.</summary>
    public IReadOnlyList<Frame> Frames => _frames;

    /// <summary>How many profiles the tree was built from; each node has a weight for each.</summary>
    public int Sides { get; }

    /// <summary>The number of nodes, the root included.</summary>
    public int Count => _frame.Length;

    /// <summary>The node's frame id in <see cref="Frames"/>; -1 for the root.</summary>
    public int FrameOf(int node) => _frame[node];

    /// <summary>The node's depth: 0 for a root's child (a stack's first frame), -1 for the root.</summary>
    public int DepthOf(int node) => _depth[node];

    public int ParentOf(int node) => _parent[node];

    public long TotalOf(int node, int side = 0) => _total[(node * Sides) + side];

    public long SelfOf(int node, int side = 0) => _self[(node * Sides) + side];

    /// <summary>The node's children, ordered by frame name (ordinal).</summary>
    public IEnumerable<int> ChildrenOf(int node)
    {
        for (var child = node + 1; child < _end[node]; child = _end[child])
        {
            yield return child;
        }
    }

    /// <summary>Builds the tree of one profile, or the merged tree of several (side i holds profile i's weights).</summary>
    public static CallTree Build(params IReadOnlyList<StackProfile> profiles)
    {
        var sides = profiles.Count;
        var frames = new List<Frame>();
        var frameIds = new Dictionary<Frame, int>();
        var stacks = new List<(int[] Frames, int Side, long Weight)>();
        for (var side = 0; side < sides; side++)
        {
            var ids = profiles[side].Frames.Select(frame =>
            {
                if (!frameIds.TryGetValue(frame, out var id))
                {
                    id = frames.Count;
                    frames.Add(frame);
                    frameIds.Add(frame, id);
                }
                return id;
            }).ToArray();
            foreach (var stack in profiles[side].Stacks)
            {
                stacks.Add((Array.ConvertAll(stack.Frames, f => ids[f]), side, stack.Weight));
            }
        }

        var rank = new int[frames.Count];
        var byName = Enumerable.Range(0, frames.Count).ToArray();
        Array.Sort(byName, (a, b) => string.CompareOrdinal(frames[a].Name, frames[b].Name) is var order and not 0 ? order : frames[a].Kind.CompareTo(frames[b].Kind));
        for (var i = 0; i < byName.Length; i++)
        {
            rank[byName[i]] = i;
        }
        stacks.Sort((x, y) =>
        {
            var length = Math.Min(x.Frames.Length, y.Frames.Length);
            for (var i = 0; i < length; i++)
            {
                var order = rank[x.Frames[i]] - rank[y.Frames[i]];
                if (order != 0)
                {
                    return order;
                }
            }
            return x.Frames.Length - y.Frames.Length;
        });

        // Depth first order falls out of the sort: each stack shares a prefix with the one before and adds the rest.
        var frame = new List<int> { -1 };
        var depth = new List<int> { -1 };
        var self = new List<long>(new long[sides]);
        var path = new List<int>();
        int[] previous = [];
        foreach (var (stackFrames, side, weight) in stacks)
        {
            var shared = 0;
            while (shared < previous.Length && shared < stackFrames.Length && previous[shared] == stackFrames[shared])
            {
                shared++;
            }
            path.RemoveRange(shared, path.Count - shared);
            for (var i = shared; i < stackFrames.Length; i++)
            {
                path.Add(frame.Count);
                frame.Add(stackFrames[i]);
                depth.Add(i);
                self.AddRange(new long[sides]);
            }
            var node = stackFrames.Length == 0 ? 0 : path[^1];
            self[(node * sides) + side] += weight;
            previous = stackFrames;
        }
        return new CallTree([.. frames], sides, frame, depth, self);
    }

    /// <summary>Visits every node but the root depth-first, parents before children, children in <see cref="ChildrenOf"/> order; depth 0 is a root's child.</summary>
    public void VisitDepthFirst(Action<int, int> visit)
    {
        for (var node = 1; node < Count; node++)
        {
            visit(node, _depth[node]);
        }
    }
}

using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.EventPipe;

/// <summary>
/// Sums event weights by call stack while the session runs, keeping only TraceLog's stack index per event, and names
/// the frames once the session has ended: only then has the end-of-session rundown described every method the stacks
/// pass through (including methods jitted during the session and ReadyToRun framework code). The per-event key is
/// numbers only (stack index, leaf id, thread when threads are kept apart), so adding costs the same however large
/// the profile grows, and hashes no string.
/// </summary>
/// <param name="byThread">Keep each thread's stacks apart (the threads option); otherwise one thread's stack and another's are one key.</param>
/// <param name="maxSamples">Events past this many are not counted (see <see cref="LimitReached"/>).</param>
internal sealed class StackAggregator(bool byThread, long maxSamples = long.MaxValue)
{
    /// <summary>The leaf of an event that adds no leaf frame of its own.</summary>
    public const int NoLeaf = -1;

    private readonly Dictionary<(CallStackIndex Stack, int Leaf, int Thread), double> _weights = [];
    private readonly List<string> _leafNames = [];
    private readonly Dictionary<string, int> _leafIds = new(StringComparer.Ordinal);
    private readonly HashSet<int> _ignoredThreads = [];

    /// <summary>How many events were added.</summary>
    public long Events { get; private set; }

    /// <summary>True once <see cref="Events"/> reached the limit and later events were dropped.</summary>
    public bool LimitReached { get; private set; }

    /// <summary>Leaves out the events of a thread: the profiler's own event-processing thread when it profiles its own process.</summary>
    public void IgnoreThread(int threadId) => _ignoredThreads.Add(threadId);

    /// <summary>The id of an extra leaf frame (the allocated or thrown type) for <see cref="Add(TraceEvent, double, int)"/>; the same name gives the same id.</summary>
    public int Leaf(string name)
    {
        if (!_leafIds.TryGetValue(name, out var id))
        {
            id = _leafNames.Count;
            _leafNames.Add(name);
            _leafIds.Add(name, id);
        }
        return id;
    }

    /// <summary>Adds an event's weight to its call stack, with an extra leaf frame from <see cref="Leaf"/> or <see cref="NoLeaf"/>.</summary>
    public void Add(TraceEvent data, double weight, int leaf = NoLeaf) => Add(data.CallStackIndex(), data.ThreadID, weight, leaf);

    public void Add(CallStackIndex stack, int threadId, double weight, int leaf = NoLeaf)
    {
        if (!(weight > 0) || double.IsInfinity(weight) || _ignoredThreads.Contains(threadId))
        {
            return;
        }
        if (Events >= maxSamples)
        {
            LimitReached = true;
            return;
        }
        Events++;
        CollectionsMarshal.GetValueRefOrAddDefault(_weights, (stack, leaf, byThread ? threadId : 0), out _) += weight;
    }

    /// <summary>Builds the profile, naming every frame from <paramref name="log"/>.</summary>
    /// <param name="log">The session's TraceLog, after the session's stream has ended.</param>
    /// <param name="metadata">The profile's metadata; its sample count is set here, and the limit noted when it was reached.</param>
    /// <param name="threadName">When not null, each stack gets a root frame naming its thread.</param>
    /// <param name="leafPlumbing">Name prefixes of frames to leave out at the leaf end (the machinery that raised the event).</param>
    public StackProfile Build(TraceLog log, ProfileMetadata metadata, Func<int, string>? threadName, IReadOnlyList<string> leafPlumbing)
    {
        var builder = new StackProfileBuilder((LimitReached ? metadata.WithSampleLimit(maxSamples) : metadata) with { Samples = Events });
        var frames = new Dictionary<CodeAddressIndex, (string Name, int Id)>();
        var stack = new List<int>(64);
        foreach (var ((stackIndex, leaf, thread), weight) in _weights)
        {
            stack.Clear();
            var atLeaf = true;
            for (var i = stackIndex; i != CallStackIndex.Invalid; i = log.CallStacks.Caller(i))
            {
                var address = log.CallStacks.CodeAddressIndex(i);
                if (!frames.TryGetValue(address, out var frame))
                {
                    var name = FrameName(log, address);
                    frames[address] = frame = (name, builder.Intern(name, FrameKind.Managed));
                }
                if (atLeaf && leafPlumbing.Any(prefix => frame.Name.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    continue;
                }
                atLeaf = false;
                stack.Add(frame.Id);
            }
            stack.Reverse();
            if (stack.Count == 0)
            {
                stack.Add(builder.Intern("[no managed frames]", FrameKind.Synthetic));
            }
            if (threadName is not null)
            {
                stack.Insert(0, builder.Intern(threadName(thread), FrameKind.Synthetic));
            }
            if (leaf != NoLeaf)
            {
                stack.Add(builder.Intern(_leafNames[leaf], FrameKind.Synthetic));
            }
            builder.Add(CollectionsMarshal.AsSpan(stack), Math.Max(1, (long)Math.Round(weight)));
        }
        return builder.Build();
    }

    /// <summary><c>Namespace.Type.Method</c> with generic arguments, without the parameter list; the module in brackets when the method is unknown.</summary>
    internal static string FrameName(TraceLog log, CodeAddressIndex address)
    {
        var method = log.CodeAddresses.MethodIndex(address);
        var name = method == MethodIndex.Invalid ? "" : log.CodeAddresses.Methods.FullMethodName(method);
        if (string.IsNullOrEmpty(name))
        {
            var module = log.CodeAddresses.ModuleFile(address)?.Name;
            return string.IsNullOrEmpty(module) ? "[unknown]" : $"[{module}]";
        }
        return MethodNames.WithoutParameters(name);
    }
}

using System.Runtime.InteropServices;
using Pluggable.Core.Profiles;

namespace Pluggable.Symbolization;

/// <summary>
/// Sums native stack samples (raw addresses, leaf first) by stack while a session runs, and names them once at the
/// end: symbolizing is the expensive part, and each distinct address is named only once. Not thread-safe.
/// </summary>
public sealed class AddressStackAggregator
{
    // Each key is the thread id (0 when threads are not kept apart) followed by the addresses, leaf first.
    private readonly Dictionary<ulong[], long> _counts = new(SequenceComparer<ulong>.Instance);
    private readonly bool _byThread;
    private readonly long _maxSamples;
    private ulong[] _scratch = new ulong[256];

    /// <param name="byThread">Keep each thread's stacks apart (the threads option).</param>
    /// <param name="maxSamples">Samples past this many are not counted (see <see cref="LimitReached"/>).</param>
    public AddressStackAggregator(bool byThread, long maxSamples = long.MaxValue)
    {
        _byThread = byThread;
        _maxSamples = maxSamples;
    }

    public long Samples { get; private set; }

    /// <summary>True once <see cref="Samples"/> reached the limit and later samples were dropped.</summary>
    public bool LimitReached { get; private set; }

    public int DistinctStacks => _counts.Count;

    /// <summary>Adds one sample. <paramref name="leafFirst"/> holds code addresses where execution is or will return to; callers pass return addresses already moved back into their call instruction.</summary>
    public void Add(int threadId, ReadOnlySpan<ulong> leafFirst, long weight = 1)
    {
        if (Samples >= _maxSamples)
        {
            LimitReached = true;
            return;
        }
        var length = leafFirst.Length + 1;
        if (_scratch.Length < length)
        {
            _scratch = new ulong[length * 2];
        }
        _scratch[0] = _byThread ? (ulong)threadId : 0;
        leafFirst.CopyTo(_scratch.AsSpan(1));
        var key = new ReadOnlySpan<ulong>(_scratch, 0, length);
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts.GetAlternateLookup<ReadOnlySpan<ulong>>(), key, out _);
        count += weight;
        Samples++;
    }

    /// <summary>
    /// Names every stack's frames and builds the profile, root first; the metadata gets the sample count, and says when
    /// the limit was reached and which libraries had no debug file to name their frames (<c>missing-symbols</c>).
    /// </summary>
    public StackProfile Build(NativeStackSymbolizer symbolizer, ProfileMetadata metadata, Func<int, string>? threadName)
    {
        var builder = new StackProfileBuilder((LimitReached ? metadata.WithSampleLimit(_maxSamples) : metadata) with { Samples = Samples });
        var ids = new Dictionary<ulong, int>();
        int FrameId(ulong address)
        {
            if (!ids.TryGetValue(address, out var id))
            {
                var frame = symbolizer.Symbolize(address);
                id = builder.Intern(frame.Name, frame.Kind);
                ids[address] = id;
            }
            return id;
        }
        var stack = new List<int>(64);
        foreach (var (key, count) in _counts)
        {
            stack.Clear();
            if (_byThread && threadName is not null)
            {
                stack.Add(builder.Intern(threadName((int)key[0]), FrameKind.Synthetic));
            }
            for (var i = key.Length - 1; i >= 1; i--)
            {
                var id = FrameId(key[i]);
                // An OSR frame's caller is the same method's unoptimized code, not a real call: show the method once.
                if (i > 1 && FrameId(key[i - 1]) == id && symbolizer.IsOnStackReplacement(key[i - 1]))
                {
                    continue;
                }
                stack.Add(id);
            }
            builder.Add(CollectionsMarshal.AsSpan(stack), count);
        }
        if (symbolizer.MissingSymbols.Count > 0)
        {
            builder.Metadata = builder.Metadata with
            {
                Properties = new Dictionary<string, string>(builder.Metadata.Properties)
                {
                    ["missing-symbols"] = string.Join("; ", symbolizer.MissingSymbols.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}: {m.Value}")),
                },
            };
        }
        return builder.Build();
    }
}

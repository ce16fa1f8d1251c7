using Pluggable.Plugins.Perf.Native;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Perf;

/// <summary>
/// Carries a walk on past the end of a sample's copy of the stack, with the user callchain the kernel found at the
/// same moment by following frame pointers: from the deepest frame the walk and the chain share, the chain's callers.
/// Frame pointers skip the caller of a frame that keeps none, so the chain is the walk's second choice, never its first.
/// </summary>
internal sealed class CallchainContinuation(IFrameRules code)
{
    /// <summary>How far back from the walk's last frame to look for one the chain also has.</summary>
    private const int FramesToMatch = 4;

    /// <param name="walk">A walk that ended at the end of the copy.</param>
    /// <param name="frames">Its frames, leaf first (callers moved back into their call); the continuation is written after them.</param>
    /// <param name="userChain">The kernel's user callchain: the instruction pointer, then return addresses.</param>
    public WalkResult Continue(WalkResult walk, Span<ulong> frames, ReadOnlySpan<ulong> userChain)
    {
        for (var i = walk.Count - 1; i >= Math.Max(1, walk.Count - FramesToMatch); i--)
        {
            var at = userChain.Length > 1 ? userChain[1..].IndexOf(frames[i] + 1) : -1;
            if (at < 0)
            {
                continue;
            }
            var count = i + 1;
            for (var k = at + 2; k < userChain.Length && count < frames.Length; k++)
            {
                var returnAddress = userChain[k];
                if (returnAddress >= PerfRecord.ContextMax || !code.IsCode(returnAddress))
                {
                    break;
                }
                frames[count++] = returnAddress - 1;
            }
            var last = frames[count - 1];
            var reachedEntry = code.TryGetRule(last, exact: false, out var rule, out var kind) && rule.Kind == FrameRuleKind.Outermost;
            return new WalkResult(count, reachedEntry ? WalkEnd.ThreadEntry : WalkEnd.StackNotReadable, kind) { ContinuedFromCallchain = true };
        }
        return walk;
    }
}

using System.Globalization;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Profiles;

namespace TopSelf;

/// <summary>Options of the renderer (<c>renderers.topself</c>): how many frames to list.</summary>
public sealed class TopSelfOptions
{
    /// <summary>How many frames the report lists. Default 20.</summary>
    public int Count { get; set; } = 20;
}

/// <summary>A text report of the frames where the weight ends (self), heaviest first, with their totals.</summary>
public sealed class TopSelfRenderer : IRenderer
{
    public RendererInfo Info { get; } = new("topself", "top.txt", "text/plain; charset=utf-8", 1,
        "Text report: the frames with the most self weight", typeof(TopSelfOptions));

    public async Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken)
    {
        var options = OptionsBinder.Bind<TopSelfOptions>(request.Options, "renderers.topself");
        var profile = request.Profiles[0];
        var self = new long[profile.Frames.Count];
        var total = new long[profile.Frames.Count];
        foreach (var stack in profile.Stacks)
        {
            self[stack.Frames[^1]] += stack.Weight;
            foreach (var frame in stack.Frames.Distinct())
            {
                total[frame] += stack.Weight;
            }
        }

        await using var writer = new StreamWriter(output, leaveOpen: true);
        await writer.WriteLineAsync($"Top {options.Count} frames by self {profile.Metadata.Unit} ({profile.Metadata.Event}, total {profile.TotalWeight})");
        await writer.WriteLineAsync($"{"self",14} {"self%",7} {"total%",7}  frame");
        var top = Enumerable.Range(0, self.Length).Where(f => self[f] > 0).OrderByDescending(f => self[f]).Take(options.Count);
        foreach (var frame in top)
        {
            var selfShare = 100.0 * self[frame] / profile.TotalWeight;
            var totalShare = 100.0 * total[frame] / profile.TotalWeight;
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{self[frame],14} {selfShare,6:F2}% {totalShare,6:F2}%  {profile.Frames[frame].Name}"));
        }
    }
}

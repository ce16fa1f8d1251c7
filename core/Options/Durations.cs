using System.Globalization;
using System.Text.RegularExpressions;

namespace Pluggable.Core.Options;

/// <summary>Reads durations as people write them in options: <c>"10ms"</c>, <c>"30s"</c>, <c>"5m"</c>, <c>"1h"</c>, <c>"250us"</c>, or a bare number of milliseconds.</summary>
public static partial class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success || !double.TryParse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }
        var ticksPerUnit = match.Groups["unit"].Value switch
        {
            "ns" => TimeSpan.TicksPerMicrosecond / 1000.0,
            "us" => TimeSpan.TicksPerMicrosecond,
            "s" => TimeSpan.TicksPerSecond,
            "m" => TimeSpan.TicksPerMinute,
            "h" => TimeSpan.TicksPerHour,
            _ => TimeSpan.TicksPerMillisecond,
        };
        var ticks = value * ticksPerUnit;
        if (ticks < 0 || ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }
        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    /// <summary>Formats a duration the way <see cref="TryParse"/> reads it back, in its largest exact unit.</summary>
    public static string Format(TimeSpan duration) => duration switch
    {
        _ when duration.Ticks % TimeSpan.TicksPerHour == 0 && duration.Ticks > 0 => $"{duration.Ticks / TimeSpan.TicksPerHour}h",
        _ when duration.Ticks % TimeSpan.TicksPerMinute == 0 && duration.Ticks > 0 => $"{duration.Ticks / TimeSpan.TicksPerMinute}m",
        _ when duration.Ticks % TimeSpan.TicksPerSecond == 0 && duration.Ticks > 0 => $"{duration.Ticks / TimeSpan.TicksPerSecond}s",
        _ when duration.Ticks % TimeSpan.TicksPerMillisecond == 0 => $"{duration.Ticks / TimeSpan.TicksPerMillisecond}ms",
        _ => $"{duration.Ticks / (double)TimeSpan.TicksPerMicrosecond:0.###}us",
    };

    [GeneratedRegex(@"^(?<value>\d+(\.\d+)?)\s*(?<unit>ns|us|ms|s|m|h)?$")]
    private static partial Regex DurationPattern();
}

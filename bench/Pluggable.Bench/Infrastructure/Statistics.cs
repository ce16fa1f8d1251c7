namespace Pluggable.Bench.Infrastructure;

internal static class Statistics
{
    /// <summary>The median, or null for no values.</summary>
    public static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? null : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The median of whole numbers, rounded; null for no values.</summary>
    public static long? MedianOf(IEnumerable<long> values) => Median(values.Select(v => (double)v)) is { } median ? (long)Math.Round(median) : null;
}

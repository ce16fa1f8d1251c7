using System.Globalization;
using Newtonsoft.Json.Linq;

namespace Pluggable.Core.Options;

/// <summary>
/// The options every profiling command runs with: one JSON object, the request merged over the defaults file over
/// <see cref="BuiltIn"/>. This class is its typed view; <see cref="Json"/> is the document itself.
/// </summary>
/// <remarks>
/// Keys and their built-in defaults:
/// <list type="bullet">
/// <item><c>event</c> — the event type when a command names none; default: <c>cpu</c> when available, else the first available.</item>
/// <item><c>interval</c> — the sampling interval for time-based samplers (<c>"10ms"</c>, or a number of milliseconds), at most <see cref="LongestInterval"/>; default: the sampler's own (100 Hz for cpu).</item>
/// <item><c>threads</c> — group stacks under a root frame per thread; default <c>false</c>.</item>
/// <item><c>maxDuration</c> — a session stops by itself after this long, keeping what it has, at most <see cref="LongestSession"/>; default <c>"1h"</c>.</item>
/// <item><c>maxSamples</c> — a session stops counting samples after this many, so a profile cannot grow without bound; default 10,000,000.</item>
/// <item><c>transforms</c> — the transforms applied when rendering, in order; default none.</item>
/// <item><c>events</c> — per event type, that sampler's own options (<c>{"alloc": {...}}</c>); default none.</item>
/// <item><c>renderers</c> — per renderer, its own options (<c>{"flamegraph": {...}}</c>); default none.</item>
/// <item><c>symbols</c> — where debug files of native libraries come from (<see cref="SymbolOptions"/>); default: the cache and Microsoft's symbol server.</item>
/// </list>
/// </remarks>
public sealed class ProfilingOptions
{
    public static readonly IReadOnlyList<string> Keys = ["event", "interval", "threads", "maxDuration", "maxSamples", "transforms", "events", "renderers", "symbols"];

    public const long DefaultMaxSamples = 10_000_000;

    /// <summary>The longest <c>interval</c>: the samplers sample at 1 Hz at the slowest.</summary>
    public static readonly TimeSpan LongestInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest <c>maxDuration</c>, 30 days: a session's timer cannot wait much longer (49 days).</summary>
    public static readonly TimeSpan LongestSession = TimeSpan.FromDays(30);

    private ProfilingOptions(JObject json, string? eventType, TimeSpan? interval, bool threads, TimeSpan maxDuration, long maxSamples, JArray transforms, JObject events, JObject renderers, SymbolOptions symbols)
    {
        MaxSamples = maxSamples;
        Json = json;
        Event = eventType;
        Interval = interval;
        Threads = threads;
        MaxDuration = maxDuration;
        Transforms = transforms;
        Events = events;
        Renderers = renderers;
        Symbols = symbols;
    }

    public static JObject BuiltIn => new()
    {
        ["threads"] = false,
        ["maxDuration"] = "1h",
        ["maxSamples"] = DefaultMaxSamples,
        ["transforms"] = new JArray(),
        ["events"] = new JObject(),
        ["renderers"] = new JObject(),
    };

    /// <summary>The merged document.</summary>
    public JObject Json { get; }

    public string? Event { get; }

    public TimeSpan? Interval { get; }

    public bool Threads { get; }

    public TimeSpan MaxDuration { get; }

    /// <summary>Samplers stop counting samples past this many, and say so in the profile (a <c>limit</c> property).</summary>
    public long MaxSamples { get; }

    public JArray Transforms { get; }

    public JObject Events { get; }

    public JObject Renderers { get; }

    /// <summary>Where the debug files that name native frames come from.</summary>
    public SymbolOptions Symbols { get; }

    /// <summary>An event type's own options (<c>events.&lt;name&gt;</c>), empty when none are set.</summary>
    public JObject EventSection(string eventType) => Events[eventType] as JObject ?? new JObject();

    /// <summary>A renderer's own options (<c>renderers.&lt;name&gt;</c>), empty when none are set.</summary>
    public JObject RendererSection(string renderer) => Renderers[renderer] as JObject ?? new JObject();

    /// <summary>Reads the shape of a merged document (known keys, value types); what only the plugins know is checked by <see cref="OptionsValidator"/>.</summary>
    public static ProfilingOptions From(JObject merged)
    {
        foreach (var property in merged.Properties())
        {
            if (!Keys.Contains(property.Name))
            {
                throw new OptionsException($"'{property.Name}' is not an option; the options are {string.Join(", ", Keys)}");
            }
        }
        return new ProfilingOptions(
            merged,
            eventType: merged["event"] is { Type: not JTokenType.Null } e
                ? (e.Type == JTokenType.String ? e.Value<string>() : throw new OptionsException("event: expected a string such as \"cpu\""))
                : null,
            interval: OptionalDuration(merged, "interval", LongestInterval),
            threads: merged["threads"] switch
            {
                null or { Type: JTokenType.Null } => false,
                { Type: JTokenType.Boolean } b => b.Value<bool>(),
                _ => throw new OptionsException("threads: expected true or false"),
            },
            maxDuration: OptionalDuration(merged, "maxDuration", LongestSession) ?? TimeSpan.FromHours(1),
            maxSamples: merged["maxSamples"] switch
            {
                null or { Type: JTokenType.Null } => DefaultMaxSamples,
                // Newtonsoft keeps a whole number past long as a BigInteger, which Value<long>() cannot convert.
                JValue { Value: long n } when n > 0 => n,
                _ => throw new OptionsException($"maxSamples: expected a whole number from 1 to {long.MaxValue}, found {merged["maxSamples"]!.ToString(Newtonsoft.Json.Formatting.None)}"),
            },
            transforms: merged["transforms"] switch
            {
                null or { Type: JTokenType.Null } => [],
                JArray array => array,
                _ => throw new OptionsException("transforms: expected an array of transform specs [{\"type\": ...}, ...]"),
            },
            events: ObjectOfObjects(merged, "events"),
            renderers: ObjectOfObjects(merged, "renderers"),
            symbols: SymbolOptions.From(merged["symbols"]));
    }

    private static TimeSpan? OptionalDuration(JObject json, string key, TimeSpan longest)
    {
        var token = json[key];
        var found = token?.ToString(Newtonsoft.Json.Formatting.None);
        switch (token)
        {
            case null or { Type: JTokenType.Null }:
                return null;
            case { Type: JTokenType.Integer or JTokenType.Float }:
                // Read from the text: a whole number past long is a BigInteger, and TimeSpan.FromMilliseconds(1e308) throws.
                var milliseconds = double.Parse(found!, NumberStyles.Float, CultureInfo.InvariantCulture);
                return milliseconds <= 0 ? throw new OptionsException($"{key}: must be more than zero")
                    : milliseconds > longest.TotalMilliseconds ? throw TooLong(key, longest, found!)
                    : TimeSpan.FromMilliseconds(milliseconds);
            case { Type: JTokenType.String } when Durations.TryParse(token.Value<string>()!, out var duration) && duration > TimeSpan.Zero:
                return duration > longest ? throw TooLong(key, longest, found!) : duration;
            default:
                throw new OptionsException($"{key}: expected a duration such as \"10ms\", \"30s\" or \"5m\", found {found}");
        }
    }

    private static OptionsException TooLong(string key, TimeSpan longest, string found) => new($"{key}: at most {Durations.Format(longest)}, found {found}");

    private static JObject ObjectOfObjects(JObject json, string key)
    {
        switch (json[key])
        {
            case null or { Type: JTokenType.Null }:
                return new JObject();
            case JObject obj:
                foreach (var property in obj.Properties())
                {
                    if (property.Value is not JObject)
                    {
                        throw new OptionsException($"{key}.{property.Name}: expected an object of options");
                    }
                }
                return obj;
            default:
                throw new OptionsException($"{key}: expected an object keyed by name");
        }
    }
}

namespace Pluggable.Core.Options;

/// <summary>Options that cannot be used: malformed JSON, an unknown key, event type or transform, a value out of range. The message says where.</summary>
public sealed class OptionsException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>A copy of this error whose message starts with where it happened, e.g. <c>transforms[2]</c>.</summary>
    public OptionsException At(string location) => new($"{location}: {Message}", this);
}

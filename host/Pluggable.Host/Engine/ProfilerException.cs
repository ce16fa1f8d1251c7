using Pluggable.Core.Options;

namespace Pluggable.Host.Engine;

/// <summary>Why a profiler command was refused or failed; the HTTP API maps each to a status code.</summary>
public enum ProfilerErrorKind
{
    /// <summary>Bad input: unknown event type, bad options, an unavailable event type, units that cannot be compared (HTTP 400).</summary>
    InvalidRequest,

    /// <summary>Start while a session runs (HTTP 409).</summary>
    AlreadyRunning,

    /// <summary>Stop while idle (HTTP 409).</summary>
    NotRunning,

    /// <summary>No stored profile with that id (HTTP 404).</summary>
    NotFound,

    /// <summary>A plugin threw; the message names it (HTTP 500).</summary>
    PluginFailed,

    /// <summary>The results folder could not take the profile: full, read-only, gone (HTTP 500).</summary>
    StorageFailed,
}

/// <summary>A profiler command that was refused or failed, with a message meant for the user.</summary>
public sealed class ProfilerException(ProfilerErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public ProfilerErrorKind Kind { get; } = kind;
}

/// <summary>Turns the <see cref="OptionsException"/> of bad options into the refused request the user sees.</summary>
internal static class BadOptions
{
    /// <summary>Returns what <paramref name="validate"/> returns; options it rejects refuse the request with its message.</summary>
    public static T Refused<T>(Func<T> validate)
    {
        try
        {
            return validate();
        }
        catch (OptionsException e)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, e.Message, e);
        }
    }
}

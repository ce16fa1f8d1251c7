using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;

namespace Pluggable.Core.Contracts;

/// <summary>A pure function from profile to profile: filter, remove, replace, collapse recursion, ...</summary>
/// <remarks>Called from any thread, possibly concurrently; it must not change its input. The host catches what it throws and fails the render naming the transform.</remarks>
public interface ITransform
{
    StackProfile Apply(StackProfile profile);
}

/// <summary>Builds transforms of one type from their JSON spec (<c>{"type":"replace","what":"...","replacement":"..."}</c>).</summary>
public interface ITransformFactory
{
    /// <summary>The value of the spec's <c>type</c> this factory builds, and what it does.</summary>
    TransformInfo Info { get; }

    /// <summary>Builds and validates a transform. A bad spec (missing field, bad regex) throws <see cref="Options.OptionsException"/> saying what is wrong; the host adds where the spec sits.</summary>
    ITransform Create(JObject spec);
}

/// <summary>A transform type as the API lists it.</summary>
public sealed record TransformInfo(string Type, string Description);

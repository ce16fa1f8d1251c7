using System.Runtime.InteropServices;

namespace Pluggable.Core.Profiles;

/// <summary>
/// Compares arrays by content, with a span lookup so that probing a dictionary for a stack it already holds
/// allocates nothing. Used to sum samples by stack, whether the stack is frame ids or raw addresses.
/// </summary>
public sealed class SequenceComparer<T> : IEqualityComparer<T[]>, IAlternateEqualityComparer<ReadOnlySpan<T>, T[]>
    where T : unmanaged, IEquatable<T>
{
    public static readonly SequenceComparer<T> Instance = new();

    public bool Equals(T[]? x, T[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(T[] sequence) => GetHashCode((ReadOnlySpan<T>)sequence);

    public bool Equals(ReadOnlySpan<T> alternate, T[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<T> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes(alternate));
        return hash.ToHashCode();
    }

    public T[] Create(ReadOnlySpan<T> alternate) => alternate.ToArray();
}

namespace Pluggable.Plugins.EventPipe.Events;

/// <summary>
/// The leaf frame of each allocated type, named from the first event of that type: an event's TypeName is decoded
/// from its payload into a new string on every read, which with the string-keyed sum it fed took about a seventh of
/// the host's event-processing CPU at 200k events a second. A type is known by its MethodTable address (the events'
/// TypeID), which stays the type's while the session runs; a collectible type's address can be reused once it is
/// unloaded, which would put the new type under the old name.
/// </summary>
internal sealed class AllocatedTypeLeaves(StackAggregator aggregator)
{
    private readonly Dictionary<(ulong TypeId, bool Large), int> _ids = [];

    /// <summary>The aggregator's leaf id of the type; <paramref name="typeName"/> is called only the first time a type (as large or small) is seen.</summary>
    public int Of<TEvent>(TEvent data, ulong typeId, bool large, Func<TEvent, string> typeName)
    {
        if (!_ids.TryGetValue((typeId, large), out var id))
        {
            var name = typeName(data);
            id = aggregator.Leaf(large ? $"{name} (LOH)" : name);
            _ids.Add((typeId, large), id);
        }
        return id;
    }
}

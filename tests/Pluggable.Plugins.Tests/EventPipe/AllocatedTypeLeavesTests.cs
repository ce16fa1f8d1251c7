using Pluggable.Plugins.EventPipe;
using Pluggable.Plugins.EventPipe.Events;

namespace Pluggable.Plugins.Tests.EventPipe;

public class AllocatedTypeLeavesTests
{
    private const ulong ByteArray = 0x7f00_1000;
    private const ulong OtherByteArray = 0x7f00_2000;

    [Fact]
    public void A_type_is_named_once_however_many_of_its_events_arrive()
    {
        var aggregator = new StackAggregator(byThread: false);
        var leaves = new AllocatedTypeLeaves(aggregator);
        var reads = 0;
        string Name(string name) { reads++; return name; }

        var ids = Enumerable.Range(0, 1000).Select(_ => leaves.Of("System.Byte[]", ByteArray, large: false, Name)).Distinct().ToArray();

        ids.Should().ContainSingle().Which.Should().Be(aggregator.Leaf("System.Byte[]"));
        reads.Should().Be(1);
    }

    [Fact]
    public void A_large_object_of_a_type_gets_a_leaf_of_its_own_marked_LOH()
    {
        var aggregator = new StackAggregator(byThread: false);
        var leaves = new AllocatedTypeLeaves(aggregator);

        var small = leaves.Of("System.Byte[]", ByteArray, large: false, n => n);
        var large = leaves.Of("System.Byte[]", ByteArray, large: true, n => n);

        large.Should().NotBe(small);
        large.Should().Be(aggregator.Leaf("System.Byte[] (LOH)"));
    }

    [Fact]
    public void Two_types_of_one_name_share_the_leaf_of_that_name()
    {
        // The same type loaded in two load contexts has two MethodTables and one name; the profile shows one frame.
        var aggregator = new StackAggregator(byThread: false);
        var leaves = new AllocatedTypeLeaves(aggregator);

        leaves.Of("System.Byte[]", OtherByteArray, large: false, n => n).Should().Be(leaves.Of("System.Byte[]", ByteArray, large: false, n => n));
    }
}

using System.Buffers.Binary;

namespace Pluggable.Unwinding;

/// <summary>
/// The "native format" ReadyToRun images store their tables in (docs/design/coreclr/botr/readytorun-format.md):
/// variable-length unsigned integers whose first byte's low bits say how many bytes follow, and sparse arrays
/// indexed through a block index and a small binary tree per block of 16 elements.
/// </summary>
internal static class NativeFormat
{
    private const int BlockSize = 16;

    /// <summary>Reads an unsigned integer at <paramref name="offset"/> and moves past it.</summary>
    public static uint DecodeUnsigned(ReadOnlySpan<byte> data, ref int offset)
    {
        uint first = data[offset];
        uint value;
        if ((first & 1) == 0)
        {
            value = first >> 1;
            offset += 1;
        }
        else if ((first & 2) == 0)
        {
            value = (first >> 2) | ((uint)data[offset + 1] << 6);
            offset += 2;
        }
        else if ((first & 4) == 0)
        {
            value = (first >> 3) | ((uint)data[offset + 1] << 5) | ((uint)data[offset + 2] << 13);
            offset += 3;
        }
        else if ((first & 8) == 0)
        {
            value = (first >> 4) | ((uint)data[offset + 1] << 4) | ((uint)data[offset + 2] << 12) | ((uint)data[offset + 3] << 20);
            offset += 4;
        }
        else
        {
            value = BinaryPrimitives.ReadUInt32LittleEndian(data[(offset + 1)..]);
            offset += 5;
        }
        return value;
    }

    /// <summary>The offset of element <paramref name="index"/> of the sparse array at the start of <paramref name="array"/>, or null when it has none.</summary>
    public static int? ArrayElement(ReadOnlySpan<byte> array, uint index)
    {
        var position = 0;
        var header = DecodeUnsigned(array, ref position);
        if (index >= header >> 2)
        {
            return null;
        }
        var block = (int)(index / BlockSize);
        var offset = position + (header & 3) switch
        {
            0 => array[position + block],
            1 => BinaryPrimitives.ReadUInt16LittleEndian(array[(position + (2 * block))..]),
            _ => (int)BinaryPrimitives.ReadUInt32LittleEndian(array[(position + (4 * block))..]),
        };
        for (var bit = BlockSize / 2; bit > 0; bit >>= 1)
        {
            var next = offset;
            var node = DecodeUnsigned(array, ref next);
            if ((index & bit) != 0 && (node & 2) != 0)
            {
                offset += (int)(node >> 2);
                continue;
            }
            if ((index & bit) == 0 && (node & 1) != 0)
            {
                offset = next;
                continue;
            }
            // A leaf that stands for the one element of its subtree.
            if ((node & 3) == 0 && (node >> 2) == (index & (BlockSize - 1)))
            {
                return next;
            }
            return null;
        }
        return offset;
    }
}

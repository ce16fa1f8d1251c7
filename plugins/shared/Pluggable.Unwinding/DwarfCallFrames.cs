using System.Buffers.Binary;

namespace Pluggable.Unwinding;

/// <summary>
/// The DWARF call frame information of one ELF file (<c>.eh_frame</c>, found through the sorted table in
/// <c>.eh_frame_hdr</c>): for an address of the file's code, where its caller's frame is. Native code compiled without
/// frame pointers (libc, SQLite, most distribution libraries) can only be walked this way, and the x86-64 ABI makes
/// every ELF file carry it. Addresses are the file's own virtual addresses. Not thread-safe.
/// </summary>
public sealed class DwarfCallFrames
{
    private const int RbpRegister = 6;
    private const int RspRegister = 7;

    private readonly byte[] _frames;
    private readonly ulong _framesAddress;
    private readonly (ulong Start, int FdeOffset)[] _index;
    private readonly Dictionary<int, CommonEntry?> _commonEntries = [];

    private DwarfCallFrames(byte[] frames, ulong framesAddress, (ulong, int)[] index)
    {
        _frames = frames;
        _framesAddress = framesAddress;
        _index = index;
    }

    public int FunctionCount => _index.Length;

    /// <summary>Reads the tables from an <c>.eh_frame</c> section and, when there is one, its <c>.eh_frame_hdr</c>; without it every entry is indexed.</summary>
    public static DwarfCallFrames Parse(byte[] frames, ulong framesAddress, byte[]? header, ulong headerAddress)
    {
        var index = header is not null && ReadHeaderIndex(header, headerAddress, framesAddress) is { } fromHeader ? fromHeader : IndexAll(frames, framesAddress);
        return new DwarfCallFrames(frames, framesAddress, index);
    }

    /// <summary>The rule at a code address of the file; false when no entry covers it or it uses what a walk cannot follow (expressions, other registers).</summary>
    public bool TryFind(ulong address, out FrameRule rule)
    {
        try
        {
            return TryFindRule(address, out rule);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or InvalidDataException or OverflowException)
        {
            // A malformed entry: this function cannot be walked through, the others still can.
            rule = default;
            return false;
        }
    }

    private bool TryFindRule(ulong address, out FrameRule rule)
    {
        rule = default;
        var i = Array.BinarySearch(_index, (address, int.MaxValue), StartComparer.Instance);
        i = i < 0 ? ~i - 1 : i;
        if (i < 0)
        {
            return false;
        }
        var fdeOffset = _index[i].FdeOffset;
        if (!TryReadEntry(fdeOffset, out var fde) || fde.CieOffset < 0 || GetCommonEntry(fde.CieOffset) is not { } cie)
        {
            return false;
        }
        var reader = new Reader(_frames, fde.BodyOffset, _framesAddress);
        var start = reader.ReadEncoded(cie.PointerEncoding);
        var length = reader.ReadEncoded((byte)(cie.PointerEncoding & 0x0F));
        if (address < start || address >= start + length)
        {
            return false;
        }
        if (cie.HasAugmentationData)
        {
            reader.Skip((int)reader.ReadUleb());
        }
        var state = cie.InitialState;
        if (!Execute(reader.Position, fde.End, cie, start, address, ref state))
        {
            return false;
        }
        return state.ToRule(cie.IsSignalFrame, out rule);
    }

    private CommonEntry? GetCommonEntry(int offset)
    {
        if (!_commonEntries.TryGetValue(offset, out var cie))
        {
            cie = ReadCommonEntry(offset);
            _commonEntries[offset] = cie;
        }
        return cie;
    }

    private CommonEntry? ReadCommonEntry(int offset)
    {
        if (!TryReadEntry(offset, out var entry) || entry.CieOffset != -1)
        {
            return null;
        }
        var reader = new Reader(_frames, entry.BodyOffset, _framesAddress);
        var version = reader.ReadByte();
        var augmentation = reader.ReadString();
        if (augmentation.Contains("eh", StringComparison.Ordinal))
        {
            reader.Skip(8);
        }
        var cie = new CommonEntry
        {
            CodeAlignment = reader.ReadUleb(),
            DataAlignment = reader.ReadSleb(),
            ReturnAddressRegister = version == 1 ? reader.ReadByte() : (int)reader.ReadUleb(),
            IsSignalFrame = augmentation.Contains('S'),
            HasAugmentationData = augmentation.StartsWith('z'),
        };
        if (cie.HasAugmentationData)
        {
            var dataLength = (int)reader.ReadUleb();
            var dataEnd = reader.Position + dataLength;
            foreach (var c in augmentation.AsSpan(1))
            {
                switch (c)
                {
                    case 'R':
                        cie.PointerEncoding = reader.ReadByte();
                        break;
                    case 'L':
                        reader.ReadByte();
                        break;
                    case 'P':
                        reader.ReadEncoded(reader.ReadByte());
                        break;
                }
            }
            reader.Position = dataEnd;
        }
        var state = CfaState.Initial(cie.ReturnAddressRegister);
        if (!Execute(reader.Position, entry.End, cie, 0, ulong.MaxValue, ref state))
        {
            return null;
        }
        cie.InitialState = state;
        return cie;
    }

    /// <summary>Runs call frame instructions from <paramref name="location"/> until they pass <paramref name="target"/>; false on an instruction this walker cannot follow.</summary>
    private bool Execute(int position, int end, CommonEntry cie, ulong location, ulong target, ref CfaState state)
    {
        var reader = new Reader(_frames, position, _framesAddress);
        var initial = state;
        var remembered = new Stack<CfaState>();
        while (reader.Position < end)
        {
            var op = reader.ReadByte();
            ulong advance = 0;
            switch (op >> 6)
            {
                case 1:
                    advance = (ulong)(op & 0x3F) * cie.CodeAlignment;
                    break;
                case 2:
                    state.Set(op & 0x3F, RegisterRule.AtCfa(checked((int)((long)reader.ReadUleb() * cie.DataAlignment))));
                    continue;
                case 3:
                    state.Set(op & 0x3F, initial.Get(op & 0x3F));
                    continue;
            }
            if (op >> 6 == 0)
            {
                switch (op)
                {
                    case 0x00: // nop
                        break;
                    case 0x01: // set_loc
                        var newLocation = reader.ReadEncoded(cie.PointerEncoding);
                        if (newLocation > target)
                        {
                            return true;
                        }
                        location = newLocation;
                        break;
                    case 0x02:
                        advance = reader.ReadByte() * cie.CodeAlignment;
                        break;
                    case 0x03:
                        advance = reader.ReadUInt16() * cie.CodeAlignment;
                        break;
                    case 0x04:
                        advance = reader.ReadUInt32() * cie.CodeAlignment;
                        break;
                    case 0x05: // offset_extended
                        state.Set((int)reader.ReadUleb(), RegisterRule.AtCfa(checked((int)((long)reader.ReadUleb() * cie.DataAlignment))));
                        break;
                    case 0x06: // restore_extended
                        var restored = (int)reader.ReadUleb();
                        state.Set(restored, initial.Get(restored));
                        break;
                    case 0x07: // undefined
                        state.Set((int)reader.ReadUleb(), RegisterRule.Undefined);
                        break;
                    case 0x08: // same_value
                        state.Set((int)reader.ReadUleb(), RegisterRule.Unchanged);
                        break;
                    case 0x09: // register: the value lives in another register, which the walk does not track
                        state.Set((int)reader.ReadUleb(), RegisterRule.Unknown);
                        reader.ReadUleb();
                        break;
                    case 0x0A: // remember_state
                        remembered.Push(state);
                        break;
                    case 0x0B: // restore_state
                        if (remembered.Count == 0)
                        {
                            return false;
                        }
                        state = remembered.Pop();
                        break;
                    case 0x0C: // def_cfa
                        state.CfaRegister = (int)reader.ReadUleb();
                        state.CfaOffset = (long)reader.ReadUleb();
                        state.CfaIsExpression = false;
                        break;
                    case 0x0D: // def_cfa_register
                        state.CfaRegister = (int)reader.ReadUleb();
                        state.CfaIsExpression = false;
                        break;
                    case 0x0E: // def_cfa_offset
                        state.CfaOffset = (long)reader.ReadUleb();
                        break;
                    case 0x0F: // def_cfa_expression
                        state.CfaIsExpression = true;
                        reader.Skip((int)reader.ReadUleb());
                        break;
                    case 0x10: // expression
                        state.Set((int)reader.ReadUleb(), RegisterRule.Unknown);
                        reader.Skip((int)reader.ReadUleb());
                        break;
                    case 0x11: // offset_extended_sf
                        state.Set((int)reader.ReadUleb(), RegisterRule.AtCfa(checked((int)(reader.ReadSleb() * cie.DataAlignment))));
                        break;
                    case 0x12: // def_cfa_sf
                        state.CfaRegister = (int)reader.ReadUleb();
                        state.CfaOffset = reader.ReadSleb() * cie.DataAlignment;
                        state.CfaIsExpression = false;
                        break;
                    case 0x13: // def_cfa_offset_sf
                        state.CfaOffset = reader.ReadSleb() * cie.DataAlignment;
                        break;
                    case 0x14: // val_offset
                    case 0x15: // val_offset_sf
                        state.Set((int)reader.ReadUleb(), RegisterRule.Unknown);
                        if (op == 0x14)
                        {
                            reader.ReadUleb();
                        }
                        else
                        {
                            reader.ReadSleb();
                        }
                        break;
                    case 0x16: // val_expression
                        state.Set((int)reader.ReadUleb(), RegisterRule.Unknown);
                        reader.Skip((int)reader.ReadUleb());
                        break;
                    case 0x2E: // GNU_args_size: what a call pushed, already in the CFA rule
                        reader.ReadUleb();
                        break;
                    case 0x2F: // GNU_negative_offset_extended
                        state.Set((int)reader.ReadUleb(), RegisterRule.AtCfa(checked((int)(-(long)reader.ReadUleb() * cie.DataAlignment))));
                        break;
                    default:
                        return false;
                }
            }
            if (advance != 0)
            {
                if (location + advance > target)
                {
                    return true;
                }
                location += advance;
            }
        }
        return true;
    }

    private bool TryReadEntry(int offset, out Entry entry)
    {
        entry = default;
        if (offset < 0 || offset + 8 > _frames.Length)
        {
            return false;
        }
        var length = (long)BinaryPrimitives.ReadUInt32LittleEndian(_frames.AsSpan(offset));
        var idOffset = offset + 4;
        if (length == 0xFFFF_FFFF)
        {
            length = (long)BinaryPrimitives.ReadUInt64LittleEndian(_frames.AsSpan(offset + 4));
            idOffset = offset + 12;
        }
        if (length == 0 || idOffset + length > _frames.Length)
        {
            return false;
        }
        var id = BinaryPrimitives.ReadUInt32LittleEndian(_frames.AsSpan(idOffset));
        // In .eh_frame a CIE has id 0; an FDE holds the distance back from this field to its CIE.
        entry = new Entry(id == 0 ? -1 : idOffset - (int)id, idOffset + 4, (int)(idOffset + length));
        return true;
    }

    private static (ulong, int)[]? ReadHeaderIndex(byte[] header, ulong headerAddress, ulong framesAddress)
    {
        if (header.Length < 4 || header[0] != 1)
        {
            return null;
        }
        var reader = new Reader(header, 4, headerAddress);
        reader.ReadEncoded(header[1]);
        var count = reader.ReadEncoded(header[2]);
        var tableEncoding = header[3];
        if (header[2] == 0xFF || tableEncoding == 0xFF || count > (ulong)header.Length)
        {
            return null;
        }
        var index = new (ulong, int)[count];
        for (var i = 0; i < index.Length; i++)
        {
            var start = reader.ReadEncoded(tableEncoding);
            var fde = reader.ReadEncoded(tableEncoding);
            index[i] = (start, (int)(fde - framesAddress));
        }
        return index;
    }

    private static (ulong, int)[] IndexAll(byte[] frames, ulong framesAddress)
    {
        var table = new DwarfCallFrames(frames, framesAddress, []);
        var index = new List<(ulong, int)>();
        var offset = 0;
        while (table.TryReadEntry(offset, out var entry))
        {
            if (entry.CieOffset >= 0 && table.GetCommonEntry(entry.CieOffset) is { } cie)
            {
                index.Add((new Reader(frames, entry.BodyOffset, framesAddress).ReadEncoded(cie.PointerEncoding), offset));
            }
            offset = entry.End;
        }
        return index.OrderBy(e => e.Item1).ToArray();
    }

    private readonly record struct Entry(int CieOffset, int BodyOffset, int End);

    private sealed class CommonEntry
    {
        public ulong CodeAlignment { get; init; }
        public long DataAlignment { get; init; }
        public int ReturnAddressRegister { get; init; }
        public bool IsSignalFrame { get; init; }
        public bool HasAugmentationData { get; init; }
        public byte PointerEncoding { get; set; }
        public CfaState InitialState { get; set; }
    }

    private enum RuleKind : byte
    {
        Unchanged,
        Undefined,
        AtCfa,
        Unknown,
    }

    private readonly record struct RegisterRule(RuleKind Kind, int Offset)
    {
        public static RegisterRule Unchanged => new(RuleKind.Unchanged, 0);
        public static RegisterRule Undefined => new(RuleKind.Undefined, 0);
        public static RegisterRule Unknown => new(RuleKind.Unknown, 0);

        public static RegisterRule AtCfa(int offset) => new(RuleKind.AtCfa, offset);
    }

    /// <summary>The rows of the CFA table a walk needs: the CFA, and the rules of rbp and the return address.</summary>
    private struct CfaState
    {
        public int CfaRegister;
        public long CfaOffset;
        public bool CfaIsExpression;
        public int ReturnAddressRegister;
        public RegisterRule FramePointer;
        public RegisterRule ReturnAddress;

        public static CfaState Initial(int returnAddressRegister) => new() { CfaRegister = RspRegister, CfaOffset = 8, ReturnAddressRegister = returnAddressRegister, ReturnAddress = RegisterRule.AtCfa(-8) };

        public readonly RegisterRule Get(int register) =>
            register == RbpRegister ? FramePointer : register == ReturnAddressRegister ? ReturnAddress : RegisterRule.Unchanged;

        public void Set(int register, RegisterRule rule)
        {
            if (register == RbpRegister)
            {
                FramePointer = rule;
            }
            else if (register == ReturnAddressRegister)
            {
                ReturnAddress = rule;
            }
        }

        public readonly bool ToRule(bool isSignalFrame, out FrameRule rule)
        {
            rule = default;
            if (isSignalFrame)
            {
                rule = FrameRule.SignalReturn;
                return true;
            }
            if (ReturnAddress.Kind == RuleKind.Undefined)
            {
                rule = FrameRule.Outermost;
                return true;
            }
            if (CfaIsExpression || CfaRegister is not (RspRegister or RbpRegister) || ReturnAddress is not { Kind: RuleKind.AtCfa, Offset: FrameRule.ReturnAddressOffset }
                || FramePointer.Kind is RuleKind.Unknown or RuleKind.Undefined || CfaOffset is < 0 or > int.MaxValue)
            {
                return false;
            }
            rule = new FrameRule(FrameRuleKind.Call, CfaRegister == RspRegister ? Unwinding.CfaRegister.StackPointer : Unwinding.CfaRegister.FramePointer,
                (int)CfaOffset, FramePointer.Kind == RuleKind.AtCfa ? FramePointer.Offset : 0);
            return true;
        }
    }

    private sealed class StartComparer : IComparer<(ulong Start, int FdeOffset)>
    {
        public static StartComparer Instance { get; } = new();

        public int Compare((ulong Start, int FdeOffset) x, (ulong Start, int FdeOffset) y) => x.Start.CompareTo(y.Start);
    }

    /// <summary>Reads the encodings of DWARF's call frame sections; <c>pcrel</c> and <c>datarel</c> pointers are relative to the section's address.</summary>
    private struct Reader(byte[] data, int position, ulong sectionAddress)
    {
        public int Position = position;

        public byte ReadByte() => data[Position++];

        public ushort ReadUInt16()
        {
            var value = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(Position));
            Position += 2;
            return value;
        }

        public uint ReadUInt32()
        {
            var value = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(Position));
            Position += 4;
            return value;
        }

        public void Skip(int count) => Position += count;

        public string ReadString()
        {
            var end = Array.IndexOf(data, (byte)0, Position);
            var text = System.Text.Encoding.ASCII.GetString(data, Position, end - Position);
            Position = end + 1;
            return text;
        }

        public ulong ReadUleb() => ReadLeb128(out _, out _);

        public long ReadSleb()
        {
            var value = (long)ReadLeb128(out var bits, out var last);
            return bits < 64 && (last & 0x40) != 0 ? value | (-1L << bits) : value;
        }

        /// <summary>LEB128: seven bits a byte, low first, the high bit set on all but the last.</summary>
        private ulong ReadLeb128(out int bits, out byte last)
        {
            ulong value = 0;
            bits = 0;
            do
            {
                last = data[Position++];
                value |= (ulong)(last & 0x7F) << bits;
                bits += 7;
            }
            while ((last & 0x80) != 0);
            return value;
        }

        /// <summary>A pointer in a DW_EH_PE encoding: the low nibble its format, the high bits what it is relative to.</summary>
        public ulong ReadEncoded(byte encoding)
        {
            if (encoding == 0xFF)
            {
                return 0;
            }
            var fieldAddress = sectionAddress + (ulong)Position;
            ulong value = (encoding & 0x0F) switch
            {
                0x00 => ReadUInt64(),
                0x01 => ReadUleb(),
                0x02 => ReadUInt16(),
                0x03 => ReadUInt32(),
                0x04 => ReadUInt64(),
                0x09 => (ulong)ReadSleb(),
                0x0A => (ulong)(long)(short)ReadUInt16(),
                0x0B => (ulong)(long)(int)ReadUInt32(),
                0x0C => ReadUInt64(),
                _ => throw new InvalidDataException($"unknown DWARF pointer encoding 0x{encoding:x2}"),
            };
            return (encoding & 0x70) switch
            {
                0x10 => fieldAddress + value,
                0x30 => sectionAddress + value,
                _ => value,
            };
        }

        private ulong ReadUInt64()
        {
            var value = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(Position));
            Position += 8;
            return value;
        }
    }
}

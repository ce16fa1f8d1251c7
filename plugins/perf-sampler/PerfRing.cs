using System.Runtime.InteropServices;
using Pluggable.Plugins.Perf.Native;

namespace Pluggable.Plugins.Perf;

/// <summary>One sample as the ring delivers it; the spans point into the ring and are valid only during the callback.</summary>
internal readonly ref struct PerfSampleRecord(uint pid, uint tid, ReadOnlySpan<ulong> callchain, ulong userBp, ulong userSp, ulong userIp, ReadOnlySpan<byte> userStack)
{
    public uint Pid { get; } = pid;
    public uint Tid { get; } = tid;

    /// <summary>The callchain the kernel found, leaf first: its kernel part, then its user part from frame pointers, each after a context marker.</summary>
    public ReadOnlySpan<ulong> Callchain { get; } = callchain;

    public ulong UserBp { get; } = userBp;

    /// <summary>The user stack pointer when the sample was taken; 0 when the sample has no user registers (a kernel thread).</summary>
    public ulong UserSp { get; } = userSp;

    public ulong UserIp { get; } = userIp;

    /// <summary>The top of the user stack, from <see cref="UserSp"/> up.</summary>
    public ReadOnlySpan<byte> UserStack { get; } = userStack;
}

internal delegate void PerfSampleHandler(in PerfSampleRecord sample);

/// <summary>
/// A perf event's file descriptor and its memory-mapped ring buffer: one metadata page, then 2^n data pages the kernel
/// writes records into. The reader drains records between data_tail and data_head, reading the head with acquire and
/// writing the tail with release semantics, the pairing perf's own tools use.
/// </summary>
internal sealed unsafe class PerfRing : IDisposable
{
    private const int DataHeadOffset = 1024;
    private const int DataTailOffset = 1032;
    private const int DataOffsetOffset = 1040;
    private const int DataSizeOffset = 1048;

    private readonly byte* _base;
    private readonly nuint _length;
    private readonly byte* _data;
    private readonly ulong _dataSize;
    private byte[] _scratch = new byte[64 * 1024];
    private bool _disposed;

    private PerfRing(int fd, byte* mapped, nuint length)
    {
        Fd = fd;
        _base = mapped;
        _length = length;
        var page = (ulong)Environment.SystemPageSize;
        var dataOffset = *(ulong*)(_base + DataOffsetOffset);
        _dataSize = *(ulong*)(_base + DataSizeOffset);
        if (_dataSize == 0)
        {
            dataOffset = page;
            _dataSize = length - page;
        }
        _data = _base + dataOffset;
    }

    public int Fd { get; }

    /// <summary>Samples the kernel had to drop because the ring was full.</summary>
    public long LostSamples { get; private set; }

    /// <summary>Maps the ring of an open event and enables it. On failure closes the descriptor and returns null with the errno.</summary>
    public static PerfRing? Map(int fd, int dataPagesLog2, out int errno)
    {
        var length = (nuint)Environment.SystemPageSize * (1 + ((nuint)1 << dataPagesLog2));
        var mapped = Libc.mmap(0, length, Libc.ProtRead | Libc.ProtWrite, Libc.MapShared, fd, 0);
        if (mapped == -1)
        {
            errno = Marshal.GetLastPInvokeError();
            Libc.close(fd);
            return null;
        }
        errno = 0;
        var ring = new PerfRing(fd, (byte*)mapped, length);
        Libc.ioctl(fd, Libc.PerfEventIocEnable, 0);
        return ring;
    }

    /// <summary>Hands every sample in the ring to <paramref name="onSample"/>, then frees the space.</summary>
    public void Drain(PerfSampleHandler onSample)
    {
        var head = Volatile.Read(ref *(ulong*)(_base + DataHeadOffset));
        var tail = *(ulong*)(_base + DataTailOffset);
        var mask = _dataSize - 1;
        while (tail < head)
        {
            var offset = tail & mask;
            // perf_event_header { u32 type; u16 misc; u16 size; }: 8-byte aligned, so the header itself never wraps.
            var type = *(uint*)(_data + offset);
            var size = *(ushort*)(_data + offset + 6);
            if (size < 8)
            {
                break;
            }
            if (offset + size > _dataSize)
            {
                if (_scratch.Length < size)
                {
                    _scratch = new byte[size];
                }
                fixed (byte* scratch = _scratch)
                {
                    var first = _dataSize - offset;
                    Buffer.MemoryCopy(_data + offset, scratch, size, (long)first);
                    Buffer.MemoryCopy(_data, scratch + first, size - (long)first, size - (long)first);
                    Handle(type, scratch, onSample);
                }
            }
            else
            {
                Handle(type, _data + offset, onSample);
            }
            tail += size;
        }
        Volatile.Write(ref *(ulong*)(_base + DataTailOffset), head);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Libc.ioctl(Fd, Libc.PerfEventIocDisable, 0);
        Libc.munmap((nint)_base, _length);
        Libc.close(Fd);
    }

    // The body follows the sample_type the events are opened with, in the kernel's field order: IP, TID, TIME, CPU,
    // CALLCHAIN (nr, ips), REGS_USER (abi, then BP, SP, IP when abi is not 0), STACK_USER (size, bytes, dyn_size).
    private void Handle(uint type, byte* record, PerfSampleHandler onSample)
    {
        var body = record + 8;
        switch (type)
        {
            case PerfRecord.Sample:
                var pid = *(uint*)(body + 8);
                var tid = *(uint*)(body + 12);
                var count = *(ulong*)(body + 32);
                var callchain = new ReadOnlySpan<ulong>(body + 40, (int)count);
                var next = body + 40 + (8 * (int)count);
                var abi = *(ulong*)next;
                next += 8;
                ulong bp = 0, sp = 0, ip = 0;
                if (abi != 0)
                {
                    bp = *(ulong*)next;
                    sp = *(ulong*)(next + 8);
                    ip = *(ulong*)(next + 16);
                    next += 24;
                }
                var stackSize = *(ulong*)next;
                var stack = stackSize == 0 ? default : new ReadOnlySpan<byte>(next + 8, (int)Math.Min(stackSize, *(ulong*)(next + 8 + (int)stackSize)));
                onSample(new PerfSampleRecord(pid, tid, callchain, bp, sp, ip, stack));
                break;
            case PerfRecord.Lost:
                LostSamples += (long)*(ulong*)(body + 8);
                break;
        }
    }
}

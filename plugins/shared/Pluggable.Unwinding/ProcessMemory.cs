using System.Runtime.InteropServices;

namespace Pluggable.Unwinding;

/// <summary>Reads a process's memory: the stack words a walk needs, and the code bytes of its functions' prologues and epilogues.</summary>
public interface IProcessMemory
{
    /// <summary>Reads eight bytes at an address; false when the address is not readable.</summary>
    bool TryReadWord(ulong address, out ulong value);

    /// <summary>Reads up to <paramref name="buffer"/>'s length of bytes at an address; returns how many were read.</summary>
    int Read(ulong address, Span<byte> buffer);
}

/// <summary>Another process's memory, read with process_vm_readv (allowed to a ptrace-capable reader: root, or same user where Yama permits).</summary>
public sealed unsafe partial class ProcessMemory(int pid) : IProcessMemory
{
    public bool TryReadWord(ulong address, out ulong value)
    {
        ulong word = 0;
        var read = Read(address, new Span<byte>(&word, 8));
        value = word;
        return read == 8;
    }

    public int Read(ulong address, Span<byte> buffer)
    {
        fixed (byte* target = buffer)
        {
            var local = new IoVec { Base = (nint)target, Length = (nuint)buffer.Length };
            var remote = new IoVec { Base = (nint)address, Length = (nuint)buffer.Length };
            return (int)Math.Max(0, (long)process_vm_readv(pid, &local, 1, &remote, 1, 0));
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint process_vm_readv(int pid, IoVec* local, ulong localCount, IoVec* remote, ulong remoteCount, ulong flags);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public nint Base;
        public nuint Length;
    }
}

/// <summary>
/// The top of a thread's stack as one window (read once from the stack pointer while the thread is stopped, or copied
/// from a perf sample), so a walk costs no system call per frame. When <paramref name="readPastWindow"/> (the thread
/// is stopped), reads past the window go to the process, a page at a time, kept for the rest of the walk; otherwise
/// (a perf sample's copy, of a thread that has run on since) they fail.
/// </summary>
public sealed class StackWindow(IProcessMemory process, int size, bool readPastWindow) : IProcessMemory
{
    private const int PageSize = 4096;
    private readonly byte[] _window = new byte[size];
    private readonly Dictionary<ulong, byte[]?> _pages = [];
    private ulong _start;
    private int _length;

    /// <summary>Reads the window at a new stack pointer from the process; call once per sample, while the thread is stopped.</summary>
    public void MoveTo(ulong stackPointer)
    {
        _pages.Clear();
        _start = stackPointer;
        _length = process.Read(stackPointer, _window);
        if (_length == 0)
        {
            // The window may run past the end of the stack's mapping: what is left of its first page is surely mapped.
            _length = process.Read(stackPointer, _window.AsSpan(0, PageSize - (int)(stackPointer & (PageSize - 1))));
        }
    }

    /// <summary>Takes the window from bytes already copied from the stack pointer up (a perf sample's user stack).</summary>
    public void Load(ulong stackPointer, ReadOnlySpan<byte> stack)
    {
        _pages.Clear();
        _start = stackPointer;
        _length = Math.Min(stack.Length, _window.Length);
        stack[.._length].CopyTo(_window);
    }

    public bool TryReadWord(ulong address, out ulong value)
    {
        if (address >= _start && address + 8 <= _start + (ulong)_length)
        {
            value = BitConverter.ToUInt64(_window, (int)(address - _start));
            return true;
        }
        if (!readPastWindow)
        {
            value = 0;
            return false;
        }
        var pageStart = address & ~(ulong)(PageSize - 1);
        if (!_pages.TryGetValue(pageStart, out var page))
        {
            page = new byte[PageSize];
            page = process.Read(pageStart, page) == PageSize ? page : null;
            _pages[pageStart] = page;
        }
        var offset = (int)(address - pageStart);
        if (page is null || offset + 8 > PageSize)
        {
            return process.TryReadWord(address, out value);
        }
        value = BitConverter.ToUInt64(page, offset);
        return true;
    }

    public int Read(ulong address, Span<byte> buffer) => process.Read(address, buffer);
}

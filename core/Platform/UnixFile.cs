using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pluggable.Core.Platform;

/// <summary>What a directory entry is, as <c>lstat</c> tells it: the entry itself, a symbolic link not followed.</summary>
public enum UnixFileType
{
    Regular,
    Directory,
    SymbolicLink,

    /// <summary>A FIFO, a socket or a device: nothing a reader should open.</summary>
    Other,
}

/// <summary>The facts about a directory entry that .NET's FileInfo does not give: its type, hard links and owner.</summary>
/// <param name="Type">What the entry is.</param>
/// <param name="Links">How many names the file has; more than one means it is also reachable, and writable, from elsewhere.</param>
/// <param name="Owner">The owner's user id.</param>
/// <param name="Mode">The permission bits (<c>0o777</c> and the set-id and sticky bits).</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="LastWriteTimeUtc">When its content last changed.</param>
public readonly record struct UnixFileStatus(UnixFileType Type, uint Links, uint Owner, UnixFileMode Mode, long Size, DateTime LastWriteTimeUtc)
{
    internal ulong Device { get; init; }

    internal ulong Inode { get; init; }
}

/// <summary>
/// File facts and opens that hold against a results or temporary folder others can write to: what an entry is,
/// without following a link, and an open that neither follows a link nor hangs on a FIFO planted under the name.
/// Linux only (<c>statx</c>, glibc 2.28 or later).
/// </summary>
public static partial class UnixFile
{
    private const int CurrentDirectory = -100;
    private const int DoNotFollowLinks = 0x100;
    private const int OfTheDescriptor = 0x1000;
    private const uint BasicFacts = 0x7ff;
    private const int ReadOnly = 0;
    private const int DoNotBlock = 0x800;
    private const int CloseOnExec = 0x80000;
    private const ushort TypeBits = 0xf000;
    private const ushort RegularType = 0x8000;
    private const ushort DirectoryType = 0x4000;
    private const ushort LinkType = 0xa000;

    /// <summary>The effective user id of this process: whose files it may trust in a folder others can write to.</summary>
    public static uint EffectiveUserId => GetEffectiveUserId();

    /// <summary>The entry at <paramref name="path"/> itself (a link is not followed); null when there is none or it cannot be examined.</summary>
    public static UnixFileStatus? Status(string path) =>
        StatusAt(CurrentDirectory, path, DoNotFollowLinks, out var status) ? status : null;

    /// <summary>
    /// Opens <paramref name="path"/> for reading when it is a regular file with one name, and nothing else: not through
    /// a link, not a FIFO (which would block the open), not a hard link to a file elsewhere. The file opened is checked to
    /// be the entry examined, so swapping the entry in between opens nothing. Null when it is not such a file.
    /// </summary>
    public static FileStream? OpenPlainFile(string path)
    {
        if (Status(path) is not { Type: UnixFileType.Regular, Links: 1 } entry)
        {
            return null;
        }
        var descriptor = Open(path, ReadOnly | DoNotBlock | CloseOnExec);
        if (descriptor < 0)
        {
            return null;
        }
        var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        if (!StatusAt(descriptor, "", OfTheDescriptor, out var opened)
            || opened is not { Type: UnixFileType.Regular, Links: 1 }
            || opened.Device != entry.Device || opened.Inode != entry.Inode)
        {
            handle.Dispose();
            return null;
        }
        return new FileStream(handle, FileAccess.Read, 1 << 16, isAsync: false);
    }

    private static unsafe bool StatusAt(int directory, string path, int flags, out UnixFileStatus status)
    {
        StatxBuffer buffer;
        if (Statx(directory, path, flags, BasicFacts, &buffer) != 0)
        {
            status = default;
            return false;
        }
        status = new UnixFileStatus(
            (buffer.Mode & TypeBits) switch
            {
                RegularType => UnixFileType.Regular,
                DirectoryType => UnixFileType.Directory,
                LinkType => UnixFileType.SymbolicLink,
                _ => UnixFileType.Other,
            },
            buffer.Links,
            buffer.Owner,
            (UnixFileMode)(buffer.Mode & 0xfff),
            (long)buffer.Size,
            DateTime.UnixEpoch.AddSeconds(buffer.ModifiedSeconds).AddTicks(buffer.ModifiedNanoseconds / 100))
        {
            Device = ((ulong)buffer.DeviceMajor << 32) | buffer.DeviceMinor,
            Inode = buffer.Inode,
        };
        return true;
    }

    /// <summary><c>struct statx</c>: the same layout on every architecture, unlike <c>struct stat</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(16)] public uint Links;
        [FieldOffset(20)] public uint Owner;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long ModifiedSeconds;
        [FieldOffset(120)] public uint ModifiedNanoseconds;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}

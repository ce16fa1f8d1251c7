namespace Pluggable.Core.Profiles;

/// <summary>Where a frame's code lives; the flamegraph colours frames by it.</summary>
public enum FrameKind
{
    /// <summary>Managed (.NET) code: jitted or ReadyToRun. The default for folded text without a kind suffix.</summary>
    Managed = 0,

    /// <summary>Native user-space code: libc, P/Invoke targets, other shared libraries.</summary>
    Native,

    /// <summary>Kernel code.</summary>
    Kernel,

    /// <summary>The .NET runtime itself (libcoreclr, the GC, the JIT).</summary>
    Runtime,

    /// <summary>A frame the sampler made up to carry information: a thread name root, an allocated type leaf.</summary>
    Synthetic,
}

/// <summary>One interned frame of a <see cref="StackProfile"/>.</summary>
public readonly record struct Frame(string Name, FrameKind Kind);

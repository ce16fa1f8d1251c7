namespace Pluggable.Symbolization;

/// <summary>What names a target's managed code: every method's code ranges, and which of them are on-stack-replacement code.</summary>
/// <param name="Methods">Jitted and ReadyToRun methods by address.</param>
/// <param name="OnStackReplacement">
/// Code compiled by on-stack replacement (OSR): a long loop's method, recompiled while it runs. Its frame returns
/// into the same method's first, unoptimized code, so a stack shows the method twice; the copy is left out.
/// </param>
public sealed record ManagedCodeMap(SymbolTable Methods, SymbolTable OnStackReplacement)
{
    public static ManagedCodeMap Empty { get; } = new(SymbolTable.Empty, SymbolTable.Empty);
}

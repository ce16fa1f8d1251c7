namespace Pluggable.Fixtures.Service;

/// <summary>Requests handled (or, for the load, answered) and failed so far. Fields, for Interlocked.</summary>
public sealed class RequestCounters
{
    public long Requests;
    public long Errors;

    public string Line() => $"iterations={Interlocked.Read(ref Requests)} errors={Interlocked.Read(ref Errors)}";
}

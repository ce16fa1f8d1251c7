using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.EventPipe.Events;

/// <summary>exceptions: every thrown exception, by throwing stack, with the exception's type as the leaf frame.</summary>
internal sealed class ExceptionsEventType : EventPipeEventType
{
    private const long ExceptionKeyword = 0x8000;

    public override EventTypeInfo Info { get; } = new("exceptions", KnownUnits.Samples,
        "Thrown exceptions, by throwing stack, with the exception type as the leaf")
    {
        FewSamples = new("no exception was thrown while sampling", "profile while the code path that throws runs"),
    };

    public override Collection Prepare(SamplingRequest request) => new(
        [Runtime(ExceptionKeyword)],
        "every throw",
        new Dictionary<string, string>(),
        (source, aggregator) => source.Clr.ExceptionStart += thrown => aggregator.Add(thrown, 1, aggregator.Leaf(thrown.ExceptionType)),
        LeafPlumbing: ["System.Runtime.EH."]);
}

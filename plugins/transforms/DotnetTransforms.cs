using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;

namespace Pluggable.Plugins.Transforms;

/// <summary>
/// <c>{"type":"fold-async"}</c>: an async method's state machine frame (<c>Shop.Orders+&lt;PlaceAsync&gt;d__5.MoveNext</c>)
/// is named like the method (<c>Shop.Orders.PlaceAsync</c>), and the builder plumbing the runtime puts between
/// async methods (AsyncMethodBuilderCore.Start, AsyncStateMachineBox.MoveNext, ExecutionContext.RunInternal) is hidden.
/// </summary>
public sealed partial class FoldAsyncTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("fold-async", "name async state machines after their method and hide the async builder plumbing");

    public ITransform Create(JObject spec)
    {
        new Spec(spec).NoOtherFields();
        return new RenameFrames(name =>
        {
            if (Plumbing().IsMatch(name))
            {
                return null;
            }
            var machine = StateMachine().Match(name);
            return machine.Success ? $"{machine.Groups[1].Value}.{machine.Groups[2].Value}" : name;
        });
    }

    [GeneratedRegex(@"^(.+?)\+<([^>]+)>d__\d+.*\.MoveNext$")]
    private static partial Regex StateMachine();

    [GeneratedRegex(@"^System\.Runtime\.CompilerServices\.(AsyncTaskMethodBuilder|AsyncValueTaskMethodBuilder|AsyncVoidMethodBuilder|AsyncMethodBuilderCore|PoolingAsyncValueTaskMethodBuilder|AsyncIteratorMethodBuilder)|^System\.Threading\.ExecutionContext\.RunInternal$")]
    private static partial Regex Plumbing();
}

/// <summary>
/// <c>{"type":"name-lambdas"}</c>: lambdas and local functions are named by the method they are written in:
/// <c>Shop.Program+&lt;&gt;c.&lt;Main&gt;b__0_0</c> becomes <c>Shop.Program.Main.lambda</c>, <c>Shop.Program.&lt;Main&gt;g__Parse|0_1</c> becomes <c>Shop.Program.Main.Parse</c>.
/// </summary>
public sealed partial class NameLambdasTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("name-lambdas", "name lambdas and local functions by their enclosing method");

    public ITransform Create(JObject spec)
    {
        new Spec(spec).NoOtherFields();
        return new RenameFrames(name =>
        {
            if (!name.Contains(">b__", StringComparison.Ordinal) && !name.Contains(">g__", StringComparison.Ordinal))
            {
                return name;
            }
            var renamed = ClosureClass().Replace(name, ".<");
            renamed = Lambda().Replace(renamed, ".$1.lambda");
            return LocalFunction().Replace(renamed, ".$1.$2");
        });
    }

    [GeneratedRegex(@"\+<>c(?:__DisplayClass[\d_]+)?\.<")]
    private static partial Regex ClosureClass();

    [GeneratedRegex(@"\.<([^>]+)>b__[\d_]+$")]
    private static partial Regex Lambda();

    [GeneratedRegex(@"\.<([^>]+)>g__([^|]+)\|[\d_]+$")]
    private static partial Regex LocalFunction();
}

/// <summary><c>{"type":"strip-generics"}</c>: <c>Dictionary`2[System.String,System.Int32].TryInsert</c> becomes <c>Dictionary.TryInsert</c>; array brackets stay.</summary>
public sealed class StripGenericsTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("strip-generics", "drop generic arity and arguments from names");

    public ITransform Create(JObject spec)
    {
        new Spec(spec).NoOtherFields();
        return new RenameFrames(StripGenerics);
    }

    /// <summary>Removes every <c>`N</c> arity and every non-empty bracket group, however nested.</summary>
    internal static string StripGenerics(string name)
    {
        if (name.IndexOfAny(['`', '[']) < 0)
        {
            return name;
        }
        var result = new StringBuilder(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '`')
            {
                while (i + 1 < name.Length && char.IsAsciiDigit(name[i + 1]))
                {
                    i++;
                }
                continue;
            }
            if (c == '[' && i + 1 < name.Length && name[i + 1] != ']')
            {
                var depth = 0;
                for (; i < name.Length; i++)
                {
                    depth += name[i] == '[' ? 1 : name[i] == ']' ? -1 : 0;
                    if (depth == 0)
                    {
                        break;
                    }
                }
                continue;
            }
            result.Append(c);
        }
        return result.ToString();
    }
}

/// <summary>
/// <c>{"type":"group-threads"}</c>: the per-thread root frames the <c>threads</c> option adds (<c>[thread 4242 .NET TP Worker]</c>)
/// become one per pool of like-named threads (<c>[threads .NET TP Worker]</c>, <c>workload-0</c> and <c>workload-1</c> as <c>[threads workload]</c>).
/// </summary>
public sealed partial class GroupThreadsTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("group-threads", "merge per-thread root frames into one per pool of like-named threads");

    public ITransform Create(JObject spec)
    {
        new Spec(spec).NoOtherFields();
        return new RenameFrames(name =>
        {
            var thread = ThreadFrame().Match(name);
            if (!thread.Success)
            {
                return name;
            }
            var pool = TrailingNumber().Replace(thread.Groups[1].Value, "");
            return $"[threads {(pool.Length == 0 ? "unnamed" : pool)}]";
        });
    }

    [GeneratedRegex(@"^\[thread \d+(?: (.*))?\]$")]
    private static partial Regex ThreadFrame();

    [GeneratedRegex(@"[-_ #.]*\d+$")]
    private static partial Regex TrailingNumber();
}

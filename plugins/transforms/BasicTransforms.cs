using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;

namespace Pluggable.Plugins.Transforms;

/// <summary><c>{"type":"filter","what":"regex"}</c>: keeps only the stacks with a frame that matches.</summary>
public sealed class FilterTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("filter", "keep only stacks with a frame matching \"what\" (regex)");

    public ITransform Create(JObject spec)
    {
        var read = new Spec(spec);
        var what = read.Regex("what");
        read.NoOtherFields();
        return new StackMatch(what, keep: true);
    }
}

/// <summary><c>{"type":"remove","what":"regex"}</c>: drops the stacks with a frame that matches.</summary>
public sealed class RemoveTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("remove", "drop stacks with a frame matching \"what\" (regex)");

    public ITransform Create(JObject spec)
    {
        var read = new Spec(spec);
        var what = read.Regex("what");
        read.NoOtherFields();
        return new StackMatch(what, keep: false);
    }
}

/// <summary><c>{"type":"replace","what":"regex","replacement":"$1"}</c>: rewrites every frame name, with capture groups.</summary>
public sealed class ReplaceTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("replace", "rewrite frame names: \"what\" (regex) becomes \"replacement\" ($1 for groups)");

    public ITransform Create(JObject spec)
    {
        var read = new Spec(spec);
        var what = read.Regex("what");
        var replacement = read.String("replacement");
        read.NoOtherFields();
        return new RenameFrames(name => what.Replace(name, replacement));
    }
}

/// <summary><c>{"type":"hide","what":"regex"}</c>: takes matching frames out of every stack, keeping the rest.</summary>
public sealed class HideTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("hide", "take frames matching \"what\" (regex) out of the stacks");

    public ITransform Create(JObject spec)
    {
        var read = new Spec(spec);
        var what = read.Regex("what");
        read.NoOtherFields();
        return new RenameFrames(name => what.IsMatch(name) ? null : name);
    }
}

/// <summary><c>{"type":"collapse-recursion","what":"regex"}</c>: a frame that calls itself directly shows once; <c>what</c> limits it to matching frames.</summary>
public sealed class CollapseRecursionTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("collapse-recursion", "show a frame that calls itself directly once (optionally only frames matching \"what\")");

    public ITransform Create(JObject spec)
    {
        var read = new Spec(spec);
        var what = read.OptionalRegex("what");
        read.NoOtherFields();
        return new CollapseRecursion(what);
    }

    private sealed class CollapseRecursion(Regex? what) : StackRewrite
    {
        protected override bool Rewrite(Context context, int[] stack, List<int> output)
        {
            for (var i = 0; i < stack.Length; i++)
            {
                if (i > 0 && stack[i] == stack[i - 1] && (what is null || context.Matches(what, stack[i])))
                {
                    continue;
                }
                output.Add(context.Copy(stack[i]));
            }
            return true;
        }
    }
}

/// <summary><c>{"type":"truncate","depth":N}</c>: keeps the N frames nearest the root.</summary>
public sealed class TruncateTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("truncate", "keep the first \"depth\" frames from the root");

    public ITransform Create(JObject spec)
    {
        var read = new Spec(spec);
        var depth = read.PositiveInt("depth");
        read.NoOtherFields();
        return new Slice(stack => (0, Math.Min(depth, stack.Length)));
    }
}

/// <summary><c>{"type":"last","frames":N}</c>: keeps only the N frames nearest the leaf.</summary>
public sealed class LastFramesTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("last", "keep only the last \"frames\" frames, nearest the leaf");

    public ITransform Create(JObject spec)
    {
        var read = new Spec(spec);
        var frames = read.PositiveInt("frames");
        read.NoOtherFields();
        return new Slice(stack => (Math.Max(0, stack.Length - frames), Math.Min(frames, stack.Length)));
    }
}

internal sealed class StackMatch(Regex what, bool keep) : StackRewrite
{
    protected override bool Rewrite(Context context, int[] stack, List<int> output)
    {
        if (stack.Any(frame => context.Matches(what, frame)) != keep)
        {
            return false;
        }
        foreach (var frame in stack)
        {
            output.Add(context.Copy(frame));
        }
        return true;
    }
}

internal sealed class Slice(Func<int[], (int Start, int Length)> range) : StackRewrite
{
    protected override bool Rewrite(Context context, int[] stack, List<int> output)
    {
        var (start, length) = range(stack);
        for (var i = start; i < start + length; i++)
        {
            output.Add(context.Copy(stack[i]));
        }
        return output.Count > 0;
    }
}

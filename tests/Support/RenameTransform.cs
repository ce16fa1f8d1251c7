using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Profiles;

namespace Pluggable.Testing;

/// <summary>A transform for testing the pipeline: <c>{"type":"rename","from":"A","to":"B"}</c> renames frames named exactly <c>from</c>.</summary>
public sealed class RenameTransformFactory : ITransformFactory
{
    public TransformInfo Info { get; } = new("rename", "renames one frame (tests only)");

    public ITransform Create(JObject spec)
    {
        var from = spec.Value<string>("from") ?? throw new OptionsException("\"from\" is required");
        var to = spec.Value<string>("to") ?? throw new OptionsException("\"to\" is required");
        return new Rename(from, to);
    }

    private sealed class Rename(string from, string to) : ITransform
    {
        public StackProfile Apply(StackProfile profile)
        {
            var builder = new StackProfileBuilder(profile.Metadata);
            foreach (var stack in profile.Stacks)
            {
                builder.Add(stack.Frames.Select(id => profile.Frames[id]).Select(f => builder.Intern(f.Name == from ? to : f.Name, f.Kind)).ToArray(), stack.Weight);
            }
            return builder.Build();
        }
    }
}

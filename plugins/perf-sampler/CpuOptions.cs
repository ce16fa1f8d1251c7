using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace Pluggable.Plugins.Perf;

/// <summary>Options of the <c>cpu</c> event type (<c>events.cpu</c>). The sampling rate comes from the top-level <c>interval</c> (default 10 ms, 100 Hz).</summary>
public sealed partial class CpuOptions : IValidatableObject
{
    /// <summary>Sample kernel code too, when permissions allow (kernel frames under the user ones). Default true.</summary>
    public bool Kernel { get; set; } = true;

    /// <summary>
    /// <c>auto</c> (default): one event per CPU filtered to the target when allowed (cheapest: the target's context
    /// switches cost nothing extra), else one per thread. <c>cpu</c> or <c>thread</c> force a mode.
    /// </summary>
    [RegularExpression("auto|cpu|thread", ErrorMessage = "mode must be auto, cpu or thread")]
    public string Mode { get; set; } = "auto";

    /// <summary>Keep only threads whose name or id matches this regular expression. Default: every thread.</summary>
    public string? ThreadFilter { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ThreadFilter is not null)
        {
            string? error = null;
            try
            {
                _ = new Regex(ThreadFilter);
            }
            catch (ArgumentException e)
            {
                error = e.Message;
            }
            if (error is not null)
            {
                yield return new ValidationResult($"threadFilter is not a valid regular expression: {error}", [nameof(ThreadFilter)]);
            }
        }
    }
}

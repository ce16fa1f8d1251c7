using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Core.Tests.Contracts;

public class EventTypeInfoTests
{
    private static readonly FewSamplesAdvice Quiet = new("nothing happened", "make it happen");

    [Fact]
    public void LowConfidence_says_the_declared_cause_and_fix_when_there_are_no_samples_even_if_any_count_is_fine()
    {
        var info = new EventTypeInfo("quiet", KnownUnits.Samples, "counts events") { FewSamples = Quiet };

        info.LowConfidence(0).Should().Be("no samples: nothing happened; make it happen");
        info.LowConfidence(1).Should().BeNull("one event is a true count, not a sample of something larger");
    }

    [Fact]
    public void LowConfidence_names_the_count_and_the_count_to_aim_for_below_the_confident_samples()
    {
        var info = new EventTypeInfo("sampled", KnownUnits.Samples, "samples a rate") { ConfidentSamples = 1000, FewSamples = Quiet };

        info.LowConfidence(12).Should().Be("only 12 samples: nothing happened; make it happen (aim for 1000+)");
        info.LowConfidence(1000).Should().BeNull();
    }

    [Fact]
    public void LowConfidence_gives_the_generic_advice_for_an_event_type_that_declares_none()
    {
        var info = new EventTypeInfo("plain", KnownUnits.Samples, "declares nothing");

        info.LowConfidence(0).Should().Be($"no samples: {FewSamplesAdvice.Generic.Cause}; {FewSamplesAdvice.Generic.Fix}");
    }
}

using Pluggable.Plugins.Perf;
using Pluggable.Plugins.Perf.Native;

namespace Pluggable.Plugins.Tests.Perf;

/// <summary>
/// A kernel that answers perf_event_open by rule. Descriptors it hands out are /dev/null's, owned by the planner
/// (which closes them), not by a handle that would close the same number again later.
/// </summary>
internal sealed class FakeKernel(Func<PerfEventAttr, int, int, int> answer) : IPerfEventSyscalls
{
    public int Open(in PerfEventAttr attr, int pid, int cpu)
    {
        var result = answer(attr, pid, cpu);
        if (result < 0)
        {
            return result;
        }
        var handle = File.OpenHandle("/dev/null");
        var descriptor = (int)handle.DangerousGetHandle();
        handle.SetHandleAsInvalid();
        return descriptor;
    }
}

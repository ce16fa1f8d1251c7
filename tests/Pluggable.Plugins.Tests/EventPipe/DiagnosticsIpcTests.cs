using Pluggable.Core.Contracts;
using Pluggable.Plugins.EventPipe;
using Pluggable.Procfs;

namespace Pluggable.Plugins.Tests.EventPipe;

/// <summary>The eventpipe sampler's one precondition, the target's diagnostics IPC, as its setup check reports it.</summary>
public class DiagnosticsIpcTests
{
    /// <summary>Above the kernel's largest pid (2^22), so no process of this machine has a socket for it.</summary>
    private const int Unreachable = 5_000_000;

    private static readonly TargetProcess Target = new(Unreachable, "shop", "10.0.12", IsSelf: false);

    private static ProcFiles WithEnvironment(string environ) =>
        new(path => path == $"/proc/{Unreachable}/environ" ? environ : null, 1000);

    [Fact]
    public void A_target_started_with_diagnostics_off_fails_naming_the_setting()
    {
        var check = DiagnosticsIpc.CheckSetup(Target, WithEnvironment("HOME=/srv\0DOTNET_EnableDiagnostics=0\0")).Single();

        check.Status.Should().Be(SetupStatus.Fail);
        check.Detail.Should().Be($"pid {Unreachable} was started with DOTNET_EnableDiagnostics=0, which turns its diagnostics socket off");
        check.Fix.Should().Be("restart the target without DOTNET_EnableDiagnostics=0");
    }

    [Fact]
    public void An_unreachable_socket_otherwise_fails_with_the_same_user_and_tmp_advice()
    {
        var check = DiagnosticsIpc.CheckSetup(Target, WithEnvironment("HOME=/srv\0")).Single();

        check.Status.Should().Be(SetupStatus.Fail);
        check.Fix.Should().Contain("/tmp").And.Contain("DOTNET_EnableDiagnostics");
    }

    [Fact]
    public void The_host_itself_passes_and_without_a_target_there_is_nothing_to_check()
    {
        DiagnosticsIpc.CheckSetup(Target with { IsSelf = true }, WithEnvironment("")).Single().Status.Should().Be(SetupStatus.Pass);
        DiagnosticsIpc.CheckSetup(null, WithEnvironment("")).Should().BeEmpty();
    }
}

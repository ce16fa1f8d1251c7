namespace Pluggable.Testing;

/// <summary>
/// Runs a command as <c>nobody</c> (uid and gid 65534, no supplementary groups), as a service that is not root would
/// run: what it may do with perf events and ptrace is the kernel's answer for an ordinary user, not root's.
/// </summary>
public static class UnprivilegedUser
{
    private const string Setpriv = "/usr/bin/setpriv";

    public const int Id = 65534;

    /// <summary>Dropping to nobody needs root, and util-linux's setpriv.</summary>
    public static bool CanRunAs => Environment.UserName == "root" && File.Exists(Setpriv);

    public const string CannotRunAsReason = "needs root and setpriv (to drop to nobody)";

    /// <summary>The command line that runs what follows it as nobody, with a home it may write to (the dotnet CLI wants one).</summary>
    public static IReadOnlyList<string> Prefix { get; } =
        [Setpriv, $"--reuid={Id}", $"--regid={Id}", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp"];
}

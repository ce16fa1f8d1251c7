using System.Diagnostics;

namespace Pluggable.Testing;

/// <summary>Runs a command (dotnet, an installed tool) as a user would, for the tests that pack, install and build.</summary>
public static class ExternalCommand
{
    /// <summary>Runs <paramref name="command"/> and waits for it, returning what it printed; a non-zero exit throws with its output.</summary>
    public static string Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed:\n{output.Result}\n{errors.Result}");
        }
        return output.Result;
    }
}

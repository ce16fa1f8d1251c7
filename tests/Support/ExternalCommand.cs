using System.Diagnostics;

namespace Pluggable.Testing;

/// <summary>Runs a command (dotnet, an installed tool) as a user would, for the tests that pack, install and build.</summary>
public static class ExternalCommand
{
    /// <summary>Runs <paramref name="command"/> and waits for it, returning what it printed; a non-zero exit throws with its output.</summary>
    public static string Run(string command, params string[] arguments)
    {
        var (exitCode, output, errors) = Execute(command, arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed:\n{output}\n{errors}");
        }
        return output;
    }

    /// <summary>Runs <paramref name="command"/> and waits for it, for a command whose exit code is part of its answer (such as <c>pluggable doctor</c>).</summary>
    public static (int ExitCode, string Output, string Errors) Execute(string command, IEnumerable<string> arguments)
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
        return (process.ExitCode, output.Result, errors.Result);
    }
}

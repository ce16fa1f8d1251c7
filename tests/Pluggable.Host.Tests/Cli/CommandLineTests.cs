using System.Diagnostics;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Cli;

/// <summary>The executable's refusals: the exit code (2) and a message that says what to do.</summary>
public class CommandLineTests
{
    private static async Task<(int ExitCode, string Error)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pluggable.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await error);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("192.168.1.10")]
    [InlineData("::")]
    public async Task A_non_loopback_host_without_allow_remote_exits_2_saying_what_to_pass(string address)
    {
        var (exitCode, error) = await RunAsync("--host", address, "--port", "0");

        exitCode.Should().Be(2);
        error.Should().Contain($"refusing to listen on {address}").And.Contain("--allow-remote").And.Contain("SSH tunnel");
    }

    [Fact]
    public async Task A_remote_bind_without_a_token_exits_2_saying_to_pass_one()
    {
        var (exitCode, error) = await RunAsync("--host", "0.0.0.0", "--allow-remote", "--port", "0");

        exitCode.Should().Be(2);
        error.Should().Contain("without a token").And.Contain("--token-file").And.Contain("--no-auth");
    }

    [Fact]
    public async Task An_allowed_hosts_list_with_an_entry_that_is_no_host_name_exits_2_naming_it()
    {
        var (exitCode, error) = await RunAsync("--port", "0", "--allowed-hosts", "profiler.example.com,http://profiler.example.com");

        exitCode.Should().Be(2);
        error.Should().Contain("--allowed-hosts: 'http://profiler.example.com' is not a host name or address");
    }

    [Fact]
    public async Task A_token_file_that_cannot_be_read_exits_2()
    {
        var (exitCode, error) = await RunAsync("--port", "0", "--token-file", "/nonexistent/token");

        exitCode.Should().Be(2);
        error.Should().Contain("--token-file: cannot read /nonexistent/token");
    }

    [Fact]
    public async Task A_malformed_options_file_exits_2_with_its_line_and_position()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("options.json"), "{\n  \"event\": \"alloc\",\n  \"threads\": tru\n}");

        var (exitCode, error) = await RunAsync("--port", "0", "--results", folder.Sub("results"), "--options", folder.File("options.json"));

        exitCode.Should().Be(2);
        error.Should().Contain($"--options: {folder.File("options.json")} line 3, position");
    }

    [Fact]
    public async Task An_options_file_naming_an_unknown_event_type_exits_2_naming_it()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("options.json"), "{\"event\": \"cycles\"}");

        var (exitCode, error) = await RunAsync("--port", "0", "--results", folder.Sub("results"), "--options", folder.File("options.json"));

        exitCode.Should().Be(2);
        error.Should().Contain("event: unknown event type 'cycles'; known:").And.Contain("alloc");
    }

    [Theory]
    [InlineData("""{"intervall": "10ms"}""", "--options: 'intervall' is not an option; the options are event, interval,")]
    [InlineData("""{"transforms": [{"type": "fold-everything"}]}""", "--options: transforms[0]: unknown transform type 'fold-everything'; known: filter,")]
    public async Task An_options_file_with_an_unknown_option_or_transform_exits_2_naming_it_and_what_is_known(string options, string expected)
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("options.json"), options);

        var (exitCode, error) = await RunAsync("--port", "0", "--results", folder.Sub("results"), "--options", folder.File("options.json"));

        exitCode.Should().Be(2);
        error.Should().Contain(expected);
    }

    [Fact]
    public async Task An_options_file_with_a_relative_symbol_folder_exits_2_naming_where()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("options.json"), """{"symbols": {"paths": ["/srv/symbols", "symbols"]}}""");

        var (exitCode, error) = await RunAsync("--port", "0", "--results", folder.Sub("results"), "--options", folder.File("options.json"));

        exitCode.Should().Be(2);
        error.Should().Contain("--options: symbols.paths[1]: expected an absolute folder path");
    }

    [Fact]
    public async Task A_symbol_server_that_is_not_an_http_url_exits_2_saying_what_to_pass()
    {
        var (exitCode, error) = await RunAsync("--port", "0", "--symbol-server", "ftp://symbols.example/");

        exitCode.Should().Be(2);
        error.Should().Contain("--symbol-server: symbols.server: expected an http or https URL").And.Contain("or \"none\"");
    }

    [Fact]
    public async Task A_pid_that_does_not_run_exits_2()
    {
        var (exitCode, error) = await RunAsync("--port", "0", "--pid", "999999");

        exitCode.Should().Be(2);
        error.Should().Contain("--pid: no process with pid 999999 is running");
    }
}

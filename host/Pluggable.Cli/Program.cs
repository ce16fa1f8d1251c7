using System.CommandLine;
using Pluggable.Cli;
using Pluggable.Core.Options;
using Pluggable.Host;
using Pluggable.Host.Api;

var host = new Option<string>("--host") { Description = "Address to listen on. Anything but loopback needs --allow-remote. Requests may name it (or 127.0.0.1, localhost, [::1]) in their Host.", DefaultValueFactory = _ => "127.0.0.1" };
var allowedHosts = new Option<string[]>("--allowed-hosts") { Description = "More names or addresses requests may name in their Host, comma-separated: NAME (any port, as behind a proxy) or NAME:PORT. Repeatable.", AllowMultipleArgumentsPerToken = false };
var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one).", DefaultValueFactory = _ => 8080 };
var pid = new Option<int?>("--pid") { Description = "Profile this .NET process instead of the host itself." };
var results = new Option<string>("--results") { Description = "Folder for profiles.", DefaultValueFactory = _ => "pluggable-results" };
var maxResults = new Option<long>("--max-results-mb") { Description = "The most the results folder may hold, in MB; past it the oldest profiles are removed.", DefaultValueFactory = _ => 1024 };
var options = new Option<string?>("--options") { Description = "JSON file of default profiling options (see pluggable.sample.json)." };
var plugins = new Option<string[]>("--plugins") { Description = "Another folder of plugins to load, besides plugins/ beside the host. Repeatable.", AllowMultipleArgumentsPerToken = false };
var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow listening on a non-loopback address; needs --token-file (or PLUGGABLE_TOKEN) or --no-auth." };
var tokenFile = new Option<string?>("--token-file") { Description = "File whose first line is the token every request must carry (default: PLUGGABLE_TOKEN, if set)." };
var noAuth = new Option<bool>("--no-auth") { Description = "With --allow-remote: no token, because an authenticating proxy stands in front. Warned about loudly." };
var symbols = new Option<string[]>("--symbols") { Description = "A folder of debug files for native libraries (the SSQP layout dotnet-symbol writes, or .build-id/xx/yyyy.debug), searched before the symbol server. Repeatable.", AllowMultipleArgumentsPerToken = false };
var symbolServer = new Option<string?>("--symbol-server") { Description = $"The SSQP symbol server that missing debug files are fetched from, in the background (default {SymbolOptions.MicrosoftServer}), or none." };
var demo = new Option<bool>("--demo") { Description = "Run a demo load inside the host (CPU, allocations, lock contention) so the first profile shows something." };

var root = new RootCommand("Pluggable: a production profiler for .NET services with a web UI.")
{
    host, allowedHosts, port, pid, results, maxResults, options, plugins, allowRemote, tokenFile, noAuth, symbols, symbolServer, demo,
};
root.SetAction(async (parse, cancellationToken) =>
{
    RunningProfilerServer server;
    try
    {
        var hostOptions = new ProfilerHostOptions
        {
            Host = parse.GetValue(host)!,
            AllowedHosts = (parse.GetValue(allowedHosts) ?? []).SelectMany(list => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
            Port = parse.GetValue(port),
            Pid = parse.GetValue(pid),
            ResultsFolder = parse.GetValue(results)!,
            MaxResultsBytes = parse.GetValue(maxResults) * 1024 * 1024,
            OptionsFile = parse.GetValue(options),
            OptionsOverrides = SymbolFlags.ToOptions(parse.GetValue(symbols), parse.GetValue(symbolServer)),
            AllowRemote = parse.GetValue(allowRemote),
            Token = ProfilerAccess.ReadToken(parse.GetValue(tokenFile)),
            NoAuth = parse.GetValue(noAuth),
            // The standalone host is a sidecar: nobody's requests wait for its collections.
            ReturnMemoryWhenIdle = true,
        };
        hostOptions.PluginFolders.AddRange(parse.GetValue(plugins) ?? []);
        server = await ProfilerServer.StartAsync(hostOptions, cancellationToken: cancellationToken);
    }
    catch (HostConfigurationException e)
    {
        await Console.Error.WriteLineAsync($"pluggable: {e.Message}");
        return 2;
    }
    await using (server)
    {
        using var demoLoad = parse.GetValue(demo) ? DemoLoad.Start() : null;
        await server.WaitForShutdownAsync(cancellationToken);
    }
    return 0;
});
var doctor = new Command("doctor", "Check what this machine allows for a target, and say what to change.") { pid, plugins };
doctor.SetAction(parse =>
{
    try
    {
        var hostOptions = new ProfilerHostOptions { Pid = parse.GetValue(pid), ResultsFolder = Path.Combine(Path.GetTempPath(), "pluggable-doctor") };
        hostOptions.PluginFolders.AddRange(parse.GetValue(plugins) ?? []);
        return DoctorReport.Print(hostOptions, Console.Out);
    }
    catch (HostConfigurationException e)
    {
        Console.Error.WriteLine($"pluggable: {e.Message}");
        return 2;
    }
});
root.Subcommands.Add(doctor);
return await root.Parse(args).InvokeAsync();

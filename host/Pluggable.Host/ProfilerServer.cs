using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Store;
using Pluggable.Host.Api;
using Pluggable.Host.Engine;
using Pluggable.Host.Plugins;
using Pluggable.Host.Targets;

namespace Pluggable.Host;

/// <summary>The host's configuration is unusable (a remote bind without consent, a bad options file, a missing target); the CLI exits with code 2.</summary>
public sealed class HostConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Runs the profiler's UI and API on Kestrel.</summary>
public static class ProfilerServer
{
    /// <summary>Loads the plugins and the defaults, starts listening, and returns the running server.</summary>
    /// <exception cref="HostConfigurationException">The options cannot be used; the message says why and what to pass.</exception>
    public static Task<RunningProfilerServer> StartAsync(ProfilerHostOptions options, Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default) =>
        StartCoreAsync(options, loggerFactory => CreateEngine(options, loggerFactory), configureLogging, cancellationToken);

    /// <summary>Serves an engine built elsewhere (by tests, or by an application that composes its own plugins).</summary>
    public static Task<RunningProfilerServer> StartAsync(ProfilerHostOptions options, ProfilerEngine engine, Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default) =>
        StartCoreAsync(options, _ => engine, configureLogging, cancellationToken);

    private static async Task<RunningProfilerServer> StartCoreAsync(ProfilerHostOptions options, Func<ILoggerFactory, ProfilerEngine> createEngine, Action<ILoggingBuilder>? configureLogging, CancellationToken cancellationToken)
    {
        CheckBinding(options);
        var allowedHosts = AllowedHostList.ForServer(options.Host, options.AllowedHosts);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ProfilerServer).Assembly.GetName().Name });
        ConfigureLogging(builder.Logging, configureLogging);
        builder.WebHost.UseUrls(options.ListenUrl);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = JsonRequests.MaxBodyBytes);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));

        var app = builder.Build();
        var loggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
        var logger = loggerFactory.CreateLogger(typeof(ProfilerServer));
        if (!options.IsLoopback && options.Token is null)
        {
            logger.LogWarning("NO AUTHENTICATION (--no-auth) on {Host}: anyone who can reach this port can profile this process and read its profiles. Only do this behind a proxy that authenticates.", options.Host);
        }
        else if (!options.IsLoopback)
        {
            logger.LogWarning("Listening on {Host}, beyond loopback: every request needs the token; make sure only trusted clients can reach this port", options.Host);
        }

        ProfilerEngine engine;
        try
        {
            engine = createEngine(loggerFactory);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var access = new ProfilerAccess(options.Token);
        app.MapProfiler(engine, access, allowedHosts);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            await engine.DisposeAsync();
            throw new HostConfigurationException($"cannot listen on {options.ListenUrl}: {e.Message}. Pass another --port.", e);
        }
        if (options.ReturnMemoryWhenIdle)
        {
            engine.Stopped += _ => IdleMemory.Return();
            IdleMemory.Return();
        }
        var listening = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        // A catch-all address is no address to browse to: print one of the machine's own, which the Host check lets in.
        var address = options.IsCatchAll
            ? new UriBuilder(listening) { Host = allowedHosts.FirstRemoteAddress ?? "127.0.0.1" }.Uri
            : listening;
        logger.LogInformation("Pluggable answers to {Hosts}", allowedHosts.Describe(address.Port));
        if (access.LoginCode is { } code)
        {
            logger.LogInformation("Pluggable is profiling {Target} (pid {Pid}). Log in once at {Address}login?code={Code} (API clients: Authorization: Bearer <token>).", engine.Target.Name, engine.Target.Pid, address, code);
        }
        else
        {
            logger.LogInformation("Pluggable is profiling {Target} (pid {Pid}). Open {Address} in a browser.", engine.Target.Name, engine.Target.Pid, address);
        }
        return new RunningProfilerServer(app, engine, address, access);
    }

    private static void CheckBinding(ProfilerHostOptions options)
    {
        if (!options.IsLoopback && !options.AllowRemote)
        {
            throw new HostConfigurationException(
                $"refusing to listen on {options.Host}: the profiler UI can start and stop profiling and read profiles, and would be reachable from the network. " +
                "Bind to 127.0.0.1 and reach it through an SSH tunnel, or pass --allow-remote (with --token-file) if the address is protected.");
        }
        if (!options.IsLoopback && options.Token is null && !options.NoAuth)
        {
            throw new HostConfigurationException(
                $"refusing to listen on {options.Host} without a token: anyone who reaches it could profile this process. " +
                "Pass --token-file FILE (or set PLUGGABLE_TOKEN), or --no-auth if an authenticating proxy stands in front.");
        }
    }

    private static void ConfigureLogging(ILoggingBuilder logging, Action<ILoggingBuilder>? custom)
    {
        logging.ClearProviders();
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (custom is null)
        {
            logging.AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; });
        }
        else
        {
            custom(logging);
        }
    }

    /// <summary>Builds the engine the options describe: the target, the plugins, the store and the validated defaults.</summary>
    public static ProfilerEngine CreateEngine(ProfilerHostOptions options, ILoggerFactory loggerFactory)
    {
        TargetProcess target;
        try
        {
            target = options.Pid is { } pid ? TargetProcesses.ByPid(pid) : TargetProcesses.Self();
        }
        catch (ArgumentException e)
        {
            throw new HostConfigurationException($"--pid: {e.Message}", e);
        }
        var registry = new PluginFolderLoader(loggerFactory).LoadAll(options.PluginFolders, target);
        try
        {
            // Without --options, defaults saved from the page or the API live beside the profiles they shaped.
            var file = new OptionsFile(options.OptionsFile ?? Path.Combine(options.ResultsFolder, ProfilerHostOptions.SavedOptionsFileName));
            var defaults = options.OptionsFile is null ? file.LoadIfExists() : file.Load();
            return new ProfilerEngine(registry, new ProfileStore(options.ResultsFolder, maxBytes: options.MaxResultsBytes, logger: loggerFactory.CreateLogger<ProfileStore>()), target, defaults, loggerFactory, file, overrides: options.OptionsOverrides);
        }
        catch (OptionsException e)
        {
            throw new HostConfigurationException($"--options: {e.Message}", e);
        }
    }
}

/// <summary>A started server: its address and engine; dispose to stop it.</summary>
public sealed class RunningProfilerServer(WebApplication app, ProfilerEngine engine, Uri address, ProfilerAccess access) : IAsyncDisposable
{
    public Uri Address { get; } = address;

    /// <summary>Who may use it: the token, and the one-time login code while unused.</summary>
    public ProfilerAccess Access { get; } = access;

    public ProfilerEngine Engine { get; } = engine;

    /// <summary>The server's services, its routes among them.</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>The code API over this server's engine: what it starts shows on the page, and the reverse.</summary>
    public Profiler Profiler { get; } = Profiler.For(engine);

    /// <summary>Completes when the host is asked to shut down (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        await Engine.DisposeAsync();
    }
}

using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pluggable.Host.Api;
using Pluggable.Host.Engine;

namespace Pluggable.Host;

/// <summary>What an embedded profiler uses: its plugins, results folder and defaults, and who may reach it.</summary>
public sealed class ProfilerUiOptions
{
    /// <summary>The results folder. Default <c>./pluggable-results</c>.</summary>
    public string ResultsFolder { get; set; } = "pluggable-results";

    /// <summary>A JSON file of default profiling options, or null.</summary>
    public string? OptionsFile { get; set; }

    /// <summary>More plugin folders, besides <c>plugins/</c> beside the application's binaries.</summary>
    public List<string> PluginFolders { get; } = [];

    /// <summary>An ASP.NET Core authorization policy the profiler's endpoints require (MapProfilerUi only), or null.</summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>A token every request must carry, as with the standalone host's --token-file; or null.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// <see cref="ProfilerUi.Serve"/> only: more names requests may name in their Host, as the standalone host's
    /// --allowed-hosts. <see cref="ProfilerUi.MapProfilerUi"/> answers to the application's own <c>AllowedHosts</c> instead.
    /// </summary>
    public List<string> AllowedHosts { get; } = [];

    internal ProfilerHostOptions ToHostOptions()
    {
        var options = new ProfilerHostOptions { ResultsFolder = ResultsFolder, OptionsFile = OptionsFile, Token = Token, AllowedHosts = [.. AllowedHosts] };
        options.PluginFolders.AddRange(PluginFolders);
        return options;
    }
}

/// <summary>
/// The profiler inside a user's own application, profiling that application: <c>app.MapProfilerUi("/profiler")</c> in an
/// ASP.NET Core app (on its own Kestrel, behind its own authorization), or <c>ProfilerUi.Serve("127.0.0.1", 8080)</c> in
/// a console or worker service (on a Kestrel of its own).
/// </summary>
public static class ProfilerUi
{
    /// <summary>
    /// Registers one profiler (its engine, and <see cref="Profiler"/> for the code API) for the application; optional:
    /// <see cref="MapProfilerUi"/> uses it when present, so code and page share sessions and defaults.
    /// </summary>
    public static IServiceCollection AddPluggableProfiler(this IServiceCollection services, Action<ProfilerUiOptions>? configure = null)
    {
        var options = new ProfilerUiOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.AddSingleton(provider => ProfilerServer.CreateEngine(options.ToHostOptions(), provider.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(provider => Profiler.For(provider.GetRequiredService<ProfilerEngine>()));
        return services;
    }

    /// <summary>
    /// Serves the page and the API under <paramref name="prefix"/> on the application's own server, answering only to the
    /// host names of the application's <c>AllowedHosts</c> setting (as ASP.NET Core's host filtering reads it). At start it
    /// warns when neither an authorization policy nor a token protects the profiler and the application listens beyond
    /// loopback, or lets any Host in (<c>AllowedHosts</c> unset or <c>*</c>), which a web page can use through DNS rebinding.
    /// </summary>
    public static RouteGroupBuilder MapProfilerUi(this IEndpointRouteBuilder endpoints, string prefix = "/profiler", Action<ProfilerUiOptions>? configure = null)
    {
        var services = endpoints.ServiceProvider;
        var options = services.GetService<ProfilerUiOptions>() ?? new ProfilerUiOptions();
        configure?.Invoke(options);
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var logger = loggerFactory.CreateLogger(typeof(ProfilerUi));
        var engine = services.GetService<ProfilerEngine>() ?? ProfilerServer.CreateEngine(options.ToHostOptions(), loggerFactory);
        var access = new ProfilerAccess(options.Token);
        var allowedHosts = AllowedHostList.FromApplicationSetting(services.GetRequiredService<IConfiguration>()["AllowedHosts"]);
        var group = endpoints.MapGroup(prefix);
        group.MapProfiler(engine, access, allowedHosts);
        if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }

        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var exposed = addresses.Where(a => !IsLoopback(a)).ToArray();
            var unprotected = options.AuthorizationPolicy is null && options.Token is null;
            if (exposed.Length > 0 && unprotected)
            {
                logger.LogWarning("THE PROFILER AT {Prefix} IS REACHABLE WITHOUT AUTHENTICATION on {Addresses}: anyone who reaches it can profile this service and read its profiles. Pass an AuthorizationPolicy or a Token to MapProfilerUi, or listen on loopback only.", prefix, string.Join(", ", exposed));
            }
            else if (allowedHosts.AllowsAny && unprotected)
            {
                logger.LogWarning("The profiler at {Prefix} answers to any Host (AllowedHosts is unset or *): a web page can reach it by pointing its own name at this machine (DNS rebinding). Set AllowedHosts to the names this service is reached by, or pass an AuthorizationPolicy or a Token to MapProfilerUi.", prefix);
            }
            if (access.LoginCode is { } code)
            {
                logger.LogInformation("Profiler at {Prefix}: log in once at {Prefix}/login?code={Code}", prefix, prefix, code);
            }
        });
        lifetime.ApplicationStopping.Register(() =>
        {
            if (services.GetService<ProfilerEngine>() != engine)
            {
                engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
        return group;
    }

    /// <summary>Serves the profiler of this process on a Kestrel of its own; dispose the handle to stop it.</summary>
    /// <exception cref="HostConfigurationException">The address cannot be used (taken, or non-loopback without a token).</exception>
    public static RunningProfilerServer Serve(string host, int port, Action<ProfilerUiOptions>? configure = null) =>
        ServeAsync(host, port, configure).GetAwaiter().GetResult();

    /// <inheritdoc cref="Serve"/>
    public static Task<RunningProfilerServer> ServeAsync(string host, int port, Action<ProfilerUiOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var options = new ProfilerUiOptions();
        configure?.Invoke(options);
        var hostOptions = options.ToHostOptions();
        hostOptions.Host = host;
        hostOptions.Port = port;
        hostOptions.AllowRemote = options.Token is not null;
        return ProfilerServer.StartAsync(hostOptions, cancellationToken: cancellationToken);
    }

    private static bool IsLoopback(string address) =>
        ProfilerHostOptions.IsLoopbackHost(new Uri(address.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal)).Host);
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Plugins;
using Pluggable.Host.Doctor;
using Pluggable.Host.Engine;
using Pluggable.Host.Targets;
using Pluggable.Host.Ui;

namespace Pluggable.Host.Api;

/// <summary>The HTTP API (the UI uses nothing else) and the stored files under <c>profiles/</c>.</summary>
public static class ProfilerEndpoints
{
    /// <summary>
    /// Maps the page (<c>/</c>), the API, the stored files (<c>profiles/{file}</c>) and the login URL on
    /// <paramref name="routes"/> (a group when embedded under a prefix), all behind <paramref name="access"/> and
    /// answering only to <paramref name="allowedHosts"/>.
    /// </summary>
    public static RouteGroupBuilder MapProfiler(this IEndpointRouteBuilder routes, ProfilerEngine engine, ProfilerAccess access, AllowedHostList allowedHosts)
    {
        var guard = new RequestGuard(access, allowedHosts, routes.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger<RequestGuard>());
        var served = routes.MapGroup("");
        served.AddEndpointFilter(guard.CheckHostAsync);
        served.MapGet("/login", (HttpContext context, string? code) =>
        {
            if (!access.TryLogin(code, out var session))
            {
                return Results.Text("403: this login URL is wrong or was used already; restart the host for a new one, or send Authorization: Bearer <token>.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status403Forbidden);
            }
            context.Response.Cookies.Append(ProfilerAccess.CookieName, session, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = context.Request.IsHttps,
                // The profiler's own path (its prefix, when embedded), so the cookie goes nowhere else in the application.
                Path = context.Request.PathBase + context.Request.Path.Value![..^"login".Length],
            });
            return Results.Redirect("./");
        });
        var group = served.MapGroup("");
        group.AddEndpointFilter(guard.InvokeAsync);
        group.MapProfilerPage();

        group.MapGet("/api/event-types", () => Results.Json(engine.EventTypes()));
        group.MapGet("/api/profiler", () => Results.Json(engine.Status));
        group.MapPost("/api/profiler/start", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await JsonRequests.ReadObjectAsync(request, ct);
            JsonRequests.AllowOnly(body, "event", "options");
            var status = await engine.StartAsync(JsonRequests.OptionalString(body, "event"), JsonRequests.OptionalObject(body, "options"), ct);
            return Results.Json(status);
        });
        group.MapPost("/api/profiler/stop", async (HttpRequest request, CancellationToken ct) =>
        {
            JsonRequests.AllowOnly(await JsonRequests.ReadObjectAsync(request, ct));
            return Results.Json(await engine.StopAsync(ct));
        });

        group.MapGet("/api/processes", () => Results.Json(DotnetProcesses.List()));
        group.MapGet("/api/doctor", () => Results.Json(SetupDoctor.Run(engine.Registry, engine.Target, engine.EventTypes())));
        group.MapPost("/api/target", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await JsonRequests.ReadObjectAsync(request, ct);
            JsonRequests.AllowOnly(body, "pid");
            var pid = JsonRequests.RequiredId(body, "pid", "a process id");
            TargetProcess target;
            try
            {
                target = TargetProcesses.ByPid(pid);
            }
            catch (ArgumentException e)
            {
                return Error(StatusCodes.Status404NotFound, e.Message);
            }
            return Results.Json(await engine.SwitchTargetAsync(target, ct));
        });

        group.MapGet("/api/profiles", () => Results.Json(engine.Store.List()));
        group.MapDelete("/api/profiles", () => Results.Json(new { deleted = engine.Store.DeleteAll() }));
        group.MapDelete("/api/profiles/{id:int}", (int id) =>
        {
            var deleted = engine.Store.Delete(id);
            return deleted == 0 ? Error(StatusCodes.Status404NotFound, $"no stored profile has id {id}") : Results.Json(new { deleted });
        });
        // HEAD lets a client check that a file is there, and how big, without downloading it; Kestrel sends no body for it.
        group.MapMethods("/profiles/{file}", [HttpMethods.Get, HttpMethods.Head], (string file) => ServeStoredFile(engine, file));

        // /api/render names what it does; /api/flamegraph is its older name, kept for the clients that use it.
        foreach (var path in new[] { "/api/render", "/api/flamegraph" })
        {
            group.MapPost(path, async (HttpRequest request, CancellationToken ct) =>
            {
                var body = await JsonRequests.ReadObjectAsync(request, ct);
                JsonRequests.AllowOnly(body, "id", "options", "renderer");
                return Results.Json(await engine.RenderAsync(JsonRequests.RequiredId(body, "id"), JsonRequests.OptionalObject(body, "options"), JsonRequests.OptionalString(body, "renderer"), ct));
            });
        }
        group.MapPost("/api/diffgraph", async (HttpRequest request, CancellationToken ct) =>
        {
            var body = await JsonRequests.ReadObjectAsync(request, ct);
            JsonRequests.AllowOnly(body, "before", "after", "options", "renderer");
            var file = await engine.DiffAsync(JsonRequests.RequiredId(body, "before"), JsonRequests.RequiredId(body, "after"), JsonRequests.OptionalObject(body, "options"), JsonRequests.OptionalString(body, "renderer"), ct);
            return Results.Json(file);
        });

        group.MapGet("/api/options", () => Results.Content(engine.DefaultOptions.Json.ToString(), "application/json"));
        group.MapPut("/api/options", async (HttpRequest request, CancellationToken ct) =>
        {
            var options = engine.ReplaceDefaultsFromRequest(await JsonRequests.ReadObjectAsync(request, ct));
            return Results.Content(options.Json.ToString(), "application/json");
        });
        group.MapGet("/api/renderers", () => Results.Json(engine.Registry.Renderers.Select(r => new
        {
            r.Info.Name,
            r.Info.FileExtension,
            r.Info.Inputs,
            r.Info.Description,
            Role = r.Info.Role.ToString().ToLowerInvariant(),
            // The renderer the host uses for its role, when it is.
            Chosen = engine.Registry.RendererFor(r.Info.Role) == r && r.Info.Role != RendererRole.Export,
            r.Plugin,
        })));
        group.MapGet("/api/plugins", () => Results.Json(engine.Registry.Plugins.Select(p => new
        {
            p.Name,
            p.Version,
            p.Kinds,
            Status = p.Status == PluginStatus.Loaded ? "loaded" : "failed",
            p.Error,
            EventTypes = engine.Registry.EventTypes.Where(e => e.Plugin == p.Name).Select(e => e.Info.Name),
            Renderers = engine.Registry.Renderers.Where(r => r.Plugin == p.Name).Select(r => r.Info.Name),
            Transforms = engine.Registry.Transforms.Where(t => t.Plugin == p.Name).Select(t => t.Info.Type),
        })));
        return group;
    }

    internal static IResult Error(int statusCode, string message) => Results.Json(new { error = message }, statusCode: statusCode);

    private static IResult ServeStoredFile(ProfilerEngine engine, string name)
    {
        if (engine.Store.OpenRead(name) is not (var file, var stream))
        {
            return Error(StatusCodes.Status404NotFound, "no such stored file");
        }
        var contentType = engine.Registry.FindRenderer(file.Kind)?.Info.ContentType ?? Path.GetExtension(file.Name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".json" => "application/json",
            _ => "text/plain; charset=utf-8",
        };
        return new StoredFileResult(stream, contentType);
    }

    /// <summary>A stored file, with a policy that lets a generated page run only its own inline code and reach only this host.</summary>
    private sealed class StoredFileResult(Stream stream, string contentType) : IResult
    {
        public const string PagePolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.ContentSecurityPolicy = PagePolicy;
            return Results.Stream(stream, contentType).ExecuteAsync(httpContext);
        }
    }
}

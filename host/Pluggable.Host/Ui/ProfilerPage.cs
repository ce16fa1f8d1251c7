using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Pluggable.Host.Ui;

/// <summary>The web UI: three static files embedded in this assembly, served with no external reference so it works on a server without internet.</summary>
public static class ProfilerPage
{
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly (string Route, string Resource, string ContentType)[] Files =
    [
        ("/", "ui/index.html", "text/html; charset=utf-8"),
        ("/ui/app.js", "ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "ui/app.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapProfilerPage(this IEndpointRouteBuilder routes)
    {
        foreach (var (route, resource, contentType) in Files)
        {
            var content = Read(resource);
            routes.MapGet(route, (HttpContext context) =>
            {
                // The page links to its script and the API relatively: under a prefix it must be served at prefix + "/".
                if (route == "/" && !(context.Request.Path.Value ?? "/").EndsWith('/'))
                {
                    return Results.Redirect(context.Request.PathBase + context.Request.Path + "/" + context.Request.QueryString);
                }
                context.Response.Headers.ContentSecurityPolicy = Policy;
                context.Response.Headers.XContentTypeOptions = "nosniff";
                context.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(content, contentType);
            });
        }
        return routes;
    }

    private static byte[] Read(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the UI resource {resource} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

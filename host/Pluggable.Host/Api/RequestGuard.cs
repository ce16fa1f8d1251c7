using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Pluggable.Host.Engine;

namespace Pluggable.Host.Api;

/// <summary>
/// Runs around every endpoint of the profiler (API, page, stored files, login URL): refuses requests whose Host the
/// profiler does not answer to (421), requests without the token when one is required (401) and state-changing
/// requests from other origins (403), sets the headers that keep responses from being sniffed or framed, and turns
/// refusals and failures into JSON errors with the right status code.
/// </summary>
/// <param name="access">Who may use the profiler.</param>
/// <param name="allowedHosts">The names and addresses it answers to.</param>
/// <param name="logger">Where failures that reach no other handler are logged.</param>
internal sealed class RequestGuard(ProfilerAccess access, AllowedHostList allowedHosts, ILogger logger)
{
    private static readonly string[] StateChangingMethods = [HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch];

    /// <summary>The first filter of every endpoint, the login URL included: the headers, and the Host check.</summary>
    public async ValueTask<object?> CheckHostAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'";
        http.Response.Headers.CacheControl = "no-store";
        if (!allowedHosts.Allows(http.Request.Host, http.Connection.LocalPort))
        {
            return ProfilerEndpoints.Error(StatusCodes.Status421MisdirectedRequest, allowedHosts.Refusal(http.Request.Host, http.Connection.LocalPort));
        }
        return await next(context);
    }

    /// <summary>The token, the origin of state-changing requests, and errors as JSON, around every endpoint but the login URL.</summary>
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!access.IsAllowed(http.Request))
        {
            return Results.Text(
                "401: this profiler needs its token: open the one-time login URL printed when the host started, or send Authorization: Bearer <token>.",
                "text/plain; charset=utf-8", statusCode: StatusCodes.Status401Unauthorized);
        }
        if (StateChangingMethods.Contains(http.Request.Method) && IsCrossSite(http.Request, allowedHosts))
        {
            return ProfilerEndpoints.Error(StatusCodes.Status403Forbidden, "refused: this request came from another site (Origin or Sec-Fetch-Site); use the profiler's own page or a non-browser client");
        }
        try
        {
            return await next(context);
        }
        catch (BadRequestException e)
        {
            return ProfilerEndpoints.Error(e.StatusCode, e.Message);
        }
        catch (ProfilerException e)
        {
            return ProfilerEndpoints.Error(e.Kind switch
            {
                ProfilerErrorKind.InvalidRequest => StatusCodes.Status400BadRequest,
                ProfilerErrorKind.AlreadyRunning or ProfilerErrorKind.NotRunning => StatusCodes.Status409Conflict,
                ProfilerErrorKind.NotFound => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status500InternalServerError,
            }, e.Message);
        }
        catch (Exception e) when (e is not (OperationCanceledException or BadHttpRequestException) && !http.RequestAborted.IsCancellationRequested)
        {
            // Whatever no one above turned into a refusal still gets an answer that says what failed, not an empty 500.
            logger.LogError(e, "{Method} {Path} failed", http.Request.Method, http.Request.Path);
            return ProfilerEndpoints.Error(StatusCodes.Status500InternalServerError, $"{http.Request.Method} {http.Request.Path} failed: {e.Message}");
        }
    }

    /// <summary>
    /// A browser says where a request came from: Sec-Fetch-Site in modern ones, Origin in all. The Origin must be a host
    /// the profiler answers to, not merely the request's own Host, which a rebound name makes the attacker's. Clients
    /// that send neither (curl, code) are not browsers on another site.
    /// </summary>
    private static bool IsCrossSite(HttpRequest request, AllowedHostList allowedHosts)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite is "cross-site" or "same-site")
        {
            return true;
        }
        var origin = request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin))
        {
            return false;
        }
        return !allowedHosts.AllowsOrigin(origin, request);
    }
}

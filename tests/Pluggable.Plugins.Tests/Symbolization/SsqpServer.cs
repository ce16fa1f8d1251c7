using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pluggable.Plugins.Tests.Symbolization;

/// <summary>
/// A symbol server on Kestrel at a free loopback port: it serves a folder in the SSQP layout as Microsoft's server does
/// (a key is a path under the folder), or answers every request with <c>answer</c>, as a broken server or a proxy might.
/// It can hold its answers until released, to show that nobody waits for it.
/// </summary>
internal sealed class SsqpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;
    private int _answered;
    private bool _disposed;

    private SsqpServer(WebApplication app, bool hold)
    {
        _app = app;
        if (!hold)
        {
            _release.SetResult();
        }
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>Requests received, answered or not.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests answered.</summary>
    public int Answered => Volatile.Read(ref _answered);

    /// <param name="root">The folder served: <c>root/_.debug/elf-buildid-sym-&lt;id&gt;/_.debug</c> answers that key.</param>
    /// <param name="hold">Hold every answer until <see cref="Release"/>.</param>
    /// <param name="answer">Answers every request instead of the folder.</param>
    public static async Task<SsqpServer> StartAsync(string root, bool hold = false, Func<HttpContext, Task>? answer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new SsqpServer(app, hold);
        app.Run(async context =>
        {
            Interlocked.Increment(ref server._requests);
            await server._release.Task.WaitAsync(context.RequestAborted);
            await (answer ?? (c => ServeFile(root, c)))(context);
            Interlocked.Increment(ref server._answered);
        });
        await app.StartAsync();
        server.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return server;
    }

    public void Release() => _release.TrySetResult();

    /// <summary>Waits until the server has received <paramref name="count"/> requests.</summary>
    public async Task WaitForRequestsAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Requests < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Requests.Should().BeGreaterThanOrEqualTo(count, "the background fetch should have asked the server by now");
    }

    /// <summary>Stops it; what asks it afterwards finds the port closed. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task ServeFile(string root, HttpContext context)
    {
        var path = Path.GetFullPath(Path.Combine(root, context.Request.Path.Value!.TrimStart('/')));
        if (!path.StartsWith(Path.GetFullPath(root) + "/", StringComparison.Ordinal) || !File.Exists(path))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        context.Response.ContentType = "application/octet-stream";
        await context.Response.SendFileAsync(path);
    }
}

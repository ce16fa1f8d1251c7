using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpLogging;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace Pluggable.Fixtures.Service;

/// <summary>
/// The shop: a minimal-API service on Kestrel at a free loopback port. Every request passes HTTP logging, two
/// middleware of the shop's own, bearer-token authentication, authorization and a rate limiter before its endpoint,
/// which queries or updates the catalog in SQLite through EF Core, asynchronously.
/// </summary>
public sealed class Shop : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Shop(WebApplication app, Uri address, RequestCounters counters)
    {
        _app = app;
        Address = address;
        Counters = counters;
    }

    public Uri Address { get; }

    public RequestCounters Counters { get; }

    public static async Task<Shop> StartAsync(string databasePath)
    {
        var counters = new RequestCounters();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.HttpLogging", LogLevel.Information);
        builder.Logging.AddProvider(new FormattingLoggerProvider());

        builder.Services.AddDbContextPool<ShopDb>(options => options.UseSqlite($"Data Source={databasePath}"));
        builder.Services.AddHttpLogging(options =>
        {
            options.LoggingFields = HttpLoggingFields.RequestPropertiesAndHeaders | HttpLoggingFields.ResponsePropertiesAndHeaders | HttpLoggingFields.Duration;
            options.CombineLogs = true;
        });
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = ShopTokens.Issuer,
                ValidAudience = ShopTokens.Audience,
                IssuerSigningKey = ShopTokens.SigningKey,
            };
        });
        builder.Services.AddAuthorizationBuilder().AddPolicy("shop", policy => policy.RequireClaim("scope", "shop"));
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Per customer, high enough that the load never hits it: the limiter's bookkeeping is on every request all the same.
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.FindFirstValue("sub") ?? "anonymous",
                _ => new TokenBucketRateLimiterOptions { TokenLimit = 1_000_000, TokensPerPeriod = 1_000_000, ReplenishmentPeriod = TimeSpan.FromSeconds(1) }));
        });

        var app = builder.Build();
        app.UseHttpLogging();
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<CountingMiddleware>(counters);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        ShopEndpoints.Map(app.MapGroup("/api").RequireAuthorization("shop"));

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ShopDb>().SeedAsync();
        }
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new Shop(app, address, counters);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Gives every request an id, from its header or a new one, and sends it back.</summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var id = context.Request.Headers["X-Request-Id"].ToString();
        if (id.Length == 0)
        {
            id = Guid.NewGuid().ToString("N");
        }
        context.Response.OnStarting(() =>
        {
            context.Response.Headers["X-Request-Id"] = id;
            return Task.CompletedTask;
        });
        await next(context);
    }
}

/// <summary>Counts the requests handled and those that failed.</summary>
public sealed class CountingMiddleware(RequestDelegate next, RequestCounters counters)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        finally
        {
            Interlocked.Increment(ref counters.Requests);
            if (context.Response.StatusCode >= 400)
            {
                Interlocked.Increment(ref counters.Errors);
            }
        }
    }
}

/// <summary>Formats every message it is given, as a console or file logger would, and keeps only their count.</summary>
public sealed class FormattingLoggerProvider : ILoggerProvider
{
    private long _characters;

    public ILogger CreateLogger(string categoryName) => new FormattingLogger(this);

    public void Dispose()
    {
    }

    private sealed class FormattingLogger(FormattingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Interlocked.Add(ref provider._characters, formatter(state, exception).Length);
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pluggable.Bench.Workloads;

/// <summary>
/// A small ASP.NET Core service on Kestrel at a free loopback port, for the service-like overhead case: one endpoint
/// that computes a quote and one that builds and serializes an order list, both in named methods.
/// </summary>
public static class ServiceWorkload
{
    public const string Name = "service";

    /// <summary>The endpoints the load alternates between.</summary>
    public static IReadOnlyList<string> Endpoints { get; } = ["/quote", "/orders"];

    /// <summary>Serves until the returned app is stopped.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/quote", () => Results.Text(PriceQuote(20_000).ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));
        app.MapGet("/orders", () => Results.Bytes(SerializeOrders(200), "application/json"));
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return (app, address);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double PriceQuote(int steps)
    {
        var price = 100.0;
        for (var i = 0; i < steps; i++)
        {
            price = price * 1.0000001 + Math.Sin(i) * 1e-6;
        }
        return price;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static byte[] SerializeOrders(int count)
    {
        var orders = new List<Order>(count);
        for (var i = 0; i < count; i++)
        {
            orders.Add(new Order(i, $"customer-{i % 37}", [new OrderLine($"sku-{i}", i % 5 + 1, 9.99m + i)], DateTimeOffset.UnixEpoch.AddMinutes(i)));
        }
        return JsonSerializer.SerializeToUtf8Bytes(orders);
    }

    public sealed record Order(int Id, string Customer, IReadOnlyList<OrderLine> Lines, DateTimeOffset Placed);

    public sealed record OrderLine(string Sku, int Quantity, decimal Price);
}

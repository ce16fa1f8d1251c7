using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Pluggable.Fixtures.Service;

/// <summary>
/// Clients that call the shop in a closed loop, each waiting for its answer before the next call, at most
/// <c>rate</c> requests a second in all: of every ten calls, four read a product, three list a category, two ask
/// for best sellers and one places an order. Each client is its own customer.
/// </summary>
public sealed class ShopLoad : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http;
    private readonly Task[] _clients;

    private ShopLoad(Uri address, int clients, int rate)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = address };
        var interval = TimeSpan.FromSeconds((double)clients / rate);
        _clients = Enumerable.Range(0, clients).Select(i => Task.Run(() => RunClientAsync(i, interval))).ToArray();
    }

    public RequestCounters Counters { get; } = new();

    public static ShopLoad Start(Uri address, int clients, int rate) => new(address, clients, rate);

    private async Task RunClientAsync(int client, TimeSpan interval)
    {
        var token = ShopTokens.For($"customer-{client}");
        var random = new Random(client);
        var next = DateTime.UtcNow;
        for (var call = 0; !_stop.IsCancellationRequested; call++)
        {
            next += interval;
            var wait = next - DateTime.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            else if (wait < -interval)
            {
                next = DateTime.UtcNow; // Behind (the machine is busy): go on at the rate, do not burst.
            }
            try
            {
                using var request = Request(call % 10, random);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await _http.SendAsync(request, _stop.Token);
                await response.Content.ReadAsByteArrayAsync(_stop.Token);
                Interlocked.Increment(ref Counters.Requests);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref Counters.Errors);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref Counters.Errors);
            }
        }
    }

    private static HttpRequestMessage Request(int kind, Random random) => kind switch
    {
        < 4 => new HttpRequestMessage(HttpMethod.Get, $"/api/products/{random.Next(1, ShopDb.ProductCount + 1)}"),
        < 7 => new HttpRequestMessage(HttpMethod.Get, $"/api/products?category={ShopDb.CategoryName(random.Next())}"),
        < 9 => new HttpRequestMessage(HttpMethod.Get, $"/api/best-sellers/{ShopDb.CategoryName(random.Next())}"),
        _ => new HttpRequestMessage(HttpMethod.Post, "/api/orders")
        {
            Content = JsonContent.Create(new ShopEndpoints.OrderRequest($"customer-{random.Next(100)}",
                [new ShopEndpoints.LineRequest(random.Next(1, 251), 1 + random.Next(3)), new ShopEndpoints.LineRequest(random.Next(251, ShopDb.ProductCount + 1), 1)])),
        },
    };

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            Task.WaitAll(_clients, TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // A client failed while stopping: nothing is left to count.
        }
        _http.Dispose();
        _stop.Dispose();
    }
}

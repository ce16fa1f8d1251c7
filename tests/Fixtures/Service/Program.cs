using System.Globalization;
using Pluggable.Fixtures.Service;

// Usage:
//   Pluggable.Fixtures.Service serve                          the shop on a free loopback port
//   Pluggable.Fixtures.Service load <url> [clients] [rate]     drives it: clients in a closed loop, at most rate requests/s
// Each prints "ready <pid> <url>" once running, then a counters line ("iterations=<requests> errors=<n>") every
// 100 ms, and exits when stdin closes.
var mode = args.Length > 0 ? args[0] : "serve";
var stdinClosed = Task.Run(() => { while (Console.In.ReadLine() is not null) { } });
switch (mode)
{
    case "serve":
        await using (var shop = await Shop.StartAsync(Path.Combine(Path.GetTempPath(), $"pluggable-shop-{Environment.ProcessId}.db")))
        {
            Console.WriteLine($"ready {Environment.ProcessId} {shop.Address}");
            await Report(stdinClosed, shop.Counters);
        }
        return 0;
    case "load" when args.Length > 1:
        var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;
        var rate = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1000;
        using (var load = ShopLoad.Start(new Uri(args[1]), clients, rate))
        {
            Console.WriteLine($"ready {Environment.ProcessId} {args[1]}");
            await Report(stdinClosed, load.Counters);
        }
        return 0;
    default:
        Console.Error.WriteLine("usage: Pluggable.Fixtures.Service serve | load <url> [clients] [requests-per-second]");
        return 2;
}

static async Task Report(Task stdinClosed, RequestCounters counters)
{
    while (!stdinClosed.IsCompleted)
    {
        Console.WriteLine(counters.Line());
        await Task.WhenAny(stdinClosed, Task.Delay(100));
    }
}

using Pluggable.Host;
using ShopService;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/burn", () => Results.Ok(Pricing.ComputeDiscounts(200_000)));
app.MapGet("/allocate", () => Results.Ok(Catalog.BuildPage(400).Length));
app.MapGet("/contend", () => Results.Ok(Inventory.Reserve()));
app.MapGet("/throw", () => Results.Ok(Orders.TryParseQuantity("many")));

// The one line: the profiler's page and API under /profiler, on this service's own Kestrel.
app.MapProfilerUi("/profiler");

app.Run();

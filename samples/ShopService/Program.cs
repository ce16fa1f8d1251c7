using Pluggable.Host;
using ShopService;

var builder = WebApplication.CreateBuilder(args);
// One profiler for the service: the page below and the Profiler injected into endpoints share its sessions and profiles.
builder.Services.AddPluggableProfiler();
var app = builder.Build();

app.MapGet("/burn", () => Results.Ok(Pricing.ComputeDiscounts(200_000)));
app.MapGet("/allocate", () => Results.Ok(Catalog.BuildPage(400).Length));
app.MapGet("/contend", () => Results.Ok(Inventory.Reserve()));
app.MapGet("/throw", () => Results.Ok(Orders.TryParseQuantity("many")));

// Profiling from code: one page build under alloc, stored and listed on the page like any other profile.
app.MapPost("/allocate/profiled", async (Profiler profiler) =>
    Results.Ok((await profiler.ProfileAsync("alloc", () => Task.Run(() => Catalog.BuildPage(400)))).Id));

// The one line: the profiler's page and API under /profiler, on this service's own Kestrel.
app.MapProfilerUi("/profiler");

app.Run();

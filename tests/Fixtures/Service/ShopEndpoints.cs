using Microsoft.EntityFrameworkCore;

namespace Pluggable.Fixtures.Service;

/// <summary>The shop's endpoints: a product, a category's cheapest products, placing an order, and a category's best sellers.</summary>
public static class ShopEndpoints
{
    public sealed record OrderRequest(string Customer, IReadOnlyList<LineRequest> Lines);

    public sealed record LineRequest(int ProductId, int Quantity);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/products/{id:int}", async (int id, ShopDb db, CancellationToken cancellationToken) =>
            await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken) is { } product ? Results.Ok(product) : Results.NotFound());

        api.MapGet("/products", async (string category, ShopDb db, CancellationToken cancellationToken) =>
            Results.Ok(await db.Products.AsNoTracking().Where(p => p.Category == category).OrderBy(p => p.Price).Take(25).ToListAsync(cancellationToken)));

        api.MapPost("/orders", PlaceOrderAsync);

        api.MapGet("/best-sellers/{category}", async (string category, ShopDb db, CancellationToken cancellationToken) =>
            Results.Ok(await db.OrderLines.AsNoTracking()
                .Where(l => l.OrderId > db.Orders.Max(o => o.Id) - 200)
                .Join(db.Products.Where(p => p.Category == category), l => l.ProductId, p => p.Id, (l, p) => new { p.Name, l.Quantity })
                .GroupBy(x => x.Name)
                .Select(g => new { Name = g.Key, Sold = g.Sum(x => x.Quantity) })
                .OrderByDescending(x => x.Sold)
                .Take(10)
                .ToListAsync(cancellationToken)));
    }

    private static async Task<IResult> PlaceOrderAsync(OrderRequest request, ShopDb db, CancellationToken cancellationToken)
    {
        var ids = request.Lines.Select(l => l.ProductId).ToArray();
        var products = await db.Products.Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, cancellationToken);
        if (products.Count != ids.Distinct().Count())
        {
            return Results.BadRequest(new { error = "unknown product" });
        }
        var order = new Order { Customer = request.Customer, Placed = DateTimeOffset.UtcNow };
        foreach (var line in request.Lines)
        {
            var product = products[line.ProductId];
            product.Stock -= line.Quantity;
            order.Lines.Add(new OrderLine { ProductId = product.Id, Quantity = line.Quantity, Price = product.Price });
        }
        db.Orders.Add(order);
        await db.SaveChangesAsync(cancellationToken);
        return Results.Created($"/api/orders/{order.Id}", new { order.Id, Total = order.Lines.Sum(l => l.Price * l.Quantity) });
    }
}

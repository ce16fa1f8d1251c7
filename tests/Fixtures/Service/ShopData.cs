using Microsoft.EntityFrameworkCore;

namespace Pluggable.Fixtures.Service;

public sealed class Product
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string Category { get; set; }
    public decimal Price { get; set; }
    public int Stock { get; set; }
}

public sealed class Order
{
    public int Id { get; set; }
    public required string Customer { get; set; }
    public DateTimeOffset Placed { get; set; }
    public List<OrderLine> Lines { get; set; } = [];
}

public sealed class OrderLine
{
    public int Id { get; set; }
    public int OrderId { get; set; }
    public int ProductId { get; set; }
    public int Quantity { get; set; }
    public decimal Price { get; set; }
}

public sealed class ShopDb(DbContextOptions<ShopDb> options) : DbContext(options)
{
    public const int Categories = 10;
    public const int ProductCount = 500;

    public DbSet<Product> Products => Set<Product>();
    public DbSet<Order> Orders => Set<Order>();
    public DbSet<OrderLine> OrderLines => Set<OrderLine>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        // SQLite orders and compares decimals as text otherwise; the shop's prices are doubles in the database.
        modelBuilder.Entity<Product>().Property(p => p.Price).HasConversion<double>();
        modelBuilder.Entity<OrderLine>().Property(l => l.Price).HasConversion<double>();
        modelBuilder.Entity<Product>().HasIndex(p => p.Category);
    }

    public static string CategoryName(int index) => $"category-{index % Categories}";

    /// <summary>Creates the schema and the catalog: <see cref="ProductCount"/> products over <see cref="Categories"/> categories.</summary>
    public async Task SeedAsync()
    {
        await Database.EnsureDeletedAsync();
        await Database.EnsureCreatedAsync();
        await Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        for (var i = 1; i <= ProductCount; i++)
        {
            Products.Add(new Product { Name = $"product-{i}", Category = CategoryName(i), Price = 1.5m + (i % 97), Stock = 1_000_000 });
        }
        await SaveChangesAsync();
    }
}

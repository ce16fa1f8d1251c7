using System.Runtime.CompilerServices;
using System.Text;

namespace ShopService;

/// <summary>CPU: discounts computed the slow way.</summary>
public static class Pricing
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double ComputeDiscounts(int items)
    {
        var total = 0.0;
        for (var i = 1; i <= items; i++)
        {
            total += Math.Sqrt(i) * Math.Sin(i) / (1 + Math.Log(i));
        }
        return total;
    }
}

/// <summary>Allocations: a catalog page built from many small strings.</summary>
public static class Catalog
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string BuildPage(int products)
    {
        var page = new StringBuilder();
        for (var i = 0; i < products; i++)
        {
            page.Append(string.Join(", ", Enumerable.Range(0, 8).Select(n => $"product-{i}-{n}")));
            page.Append(new string('.', 64));
        }
        return page.ToString();
    }
}

/// <summary>Contention: every request takes one lock and holds it a little.</summary>
public static class Inventory
{
    private static readonly Lock Stock = new();
    private static int _reserved;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Reserve()
    {
        lock (Stock)
        {
            Thread.SpinWait(200_000);
            return ++_reserved;
        }
    }
}

/// <summary>Exceptions: parsing that fails and is caught.</summary>
public static class Orders
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int TryParseQuantity(string text)
    {
        try
        {
            return int.Parse(text);
        }
        catch (FormatException)
        {
            return 0;
        }
    }
}

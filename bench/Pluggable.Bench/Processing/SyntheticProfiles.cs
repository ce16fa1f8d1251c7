using Pluggable.Core.Profiles;

namespace Pluggable.Bench.Processing;

/// <summary>
/// Profiles of a chosen size that look like a .NET service's: frames named as the samplers name them (namespaces,
/// nested and generic types, async state machines, lambdas, a few native and kernel leaves), stacks 20 to 60 deep that
/// share prefixes as call trees do, and weights that follow a power law (a few hot stacks, a long tail). Deterministic
/// for a given size and seed.
/// </summary>
public static class SyntheticProfiles
{
    private static readonly string[] Namespaces =
    [
        "Contoso.Orders.Api", "Contoso.Orders.Domain", "Contoso.Billing", "Contoso.Inventory.Storage", "Contoso.Shared.Caching",
        "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http", "Microsoft.AspNetCore.Routing", "Microsoft.EntityFrameworkCore.Query",
        "System.Text.Json", "System.Collections.Generic", "System.Linq", "System.Threading.Tasks", "System.Net.Http", "Npgsql",
    ];

    private static readonly string[] TypePrefixes =
    [
        "Order", "Price", "Invoice", "Stock", "Cache", "Customer", "Payment", "Shipment", "Catalog", "Discount", "Tax", "Audit",
        "Session", "Token", "Report", "Warehouse", "Supplier", "Refund", "Basket", "Coupon", "Ledger", "Currency", "Address",
        "Notification", "Schedule", "Tenant", "Quota", "Search", "Review", "Return",
    ];

    private static readonly string[] TypeNouns =
    [
        "Service", "Controller", "Calculator", "Builder", "Repository", "Entry", "Handler", "Middleware", "Validator", "Mapper",
        "Serializer", "Reader", "Writer", "Client", "Provider", "Factory", "Policy", "Query", "Command", "Cache",
    ];

    private static readonly string[] GenericTypes =
    [
        "Dictionary`2[System.__Canon,System.Int32]", "List`1[Contoso.Orders.Domain.OrderLine]", "ValueTask`1[System.Int32]",
        "ConcurrentDictionary`2[System.String,System.__Canon]", "AsyncTaskMethodBuilder`1+AsyncStateMachineBox`1[System.__Canon,System.__Canon]",
    ];

    private static readonly string[] Methods =
    [
        "GetOrderAsync", "PlaceOrder", "Calculate", "Build", "LoadAsync", "TryGetValue", "ProcessRequestsAsync", "Invoke",
        "Execute", "Serialize", "FindValue", "Select", "RunContinuations", "SendAsync", "Read", "MoveNext", "Validate", "Apply",
    ];

    private static readonly string[] Roots =
    [
        "System.Threading.ThreadPoolWorkQueue.Dispatch",
        "System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart",
        "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Infrastructure.KestrelConnection`1.ExecuteAsync",
    ];

    private static readonly string[] NativeLeaves = ["libcoreclr.so+0x5fa3cc", "memmove", "__GI___pthread_mutex_lock", "WKS::gc_heap::allocate_more_space"];

    private static readonly string[] KernelLeaves = ["do_syscall_64", "futex_wait", "clear_page_erms", "__x64_sys_epoll_wait"];

    /// <summary>A profile of exactly <paramref name="stacks"/> distinct stacks whose weights sum to <paramref name="samples"/> (at least one each).</summary>
    public static StackProfile Generate(int stacks, long samples, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, stacks);
        var random = new Random(seed);
        var builder = new StackProfileBuilder(new ProfileMetadata { Event = "cpu", Unit = KnownUnits.Samples, Interval = "100 Hz", TargetName = "Contoso.Orders.Api" });
        var pool = new FramePool(builder, random);
        var shapes = Shapes(stacks, random, pool);
        var weights = PowerLawWeights(stacks, samples, random);
        for (var i = 0; i < shapes.Count; i++)
        {
            builder.Add(shapes[i], weights[i]);
        }
        return builder.Build();
    }

    /// <summary>Distinct stacks of frame ids: each new one copies a prefix of an earlier one and grows its own tail, as calls branch.</summary>
    private static List<int[]> Shapes(int count, Random random, FramePool pool)
    {
        var shapes = new List<int[]>(count);
        var seen = new HashSet<int[]>(SequenceComparer<int>.Instance);
        var stack = new List<int>(64);
        while (shapes.Count < count)
        {
            stack.Clear();
            var depth = random.Next(20, 61);
            if (shapes.Count == 0 || random.NextDouble() < 0.01)
            {
                stack.Add(pool.Root());
            }
            else
            {
                // Recent stacks are likelier parents, so subtrees grow bushy where the code is busy.
                var parent = shapes[shapes.Count - 1 - (int)((shapes.Count - 1) * Math.Pow(random.NextDouble(), 4))];
                // Most of a new stack is a path the tree already has; it branches off in the last third.
                var shared = random.Next(Math.Min(parent.Length, depth) * 2 / 3, Math.Min(parent.Length, depth));
                stack.AddRange(parent.AsSpan(0, Math.Max(shared, 1)));
            }
            while (stack.Count < depth - 1)
            {
                stack.Add(pool.Managed());
            }
            stack.Add(pool.Leaf());
            var shape = stack.ToArray();
            if (seen.Add(shape))
            {
                shapes.Add(shape);
            }
        }
        return shapes;
    }

    /// <summary>Weights proportional to 1/rank, in a random order, each at least 1, summing to <paramref name="total"/>.</summary>
    private static long[] PowerLawWeights(int count, long total, Random random)
    {
        var shares = Enumerable.Range(1, count).Select(rank => 1.0 / rank).ToArray();
        random.Shuffle(shares);
        var sum = shares.Sum();
        var spare = total - count;
        var weights = shares.Select(share => 1 + (long)(spare * share / sum)).ToArray();
        weights[Array.IndexOf(shares, shares.Max())] += total - weights.Sum();
        return weights;
    }

    /// <summary>Frame names made up on demand; popular ones (low ids) come back more often, as hot framework methods do.</summary>
    private sealed class FramePool(StackProfileBuilder builder, Random random)
    {
        private const double NewNameWeight = 500;
        private readonly List<int> _managed = [];

        public int Root() => builder.Intern(Roots[random.Next(Roots.Length)]);

        public int Managed()
        {
            // New names get rarer as the pool grows, as a large profile mostly recombines the methods it has seen.
            if (random.NextDouble() < NewNameWeight / (NewNameWeight + _managed.Count))
            {
                _managed.Add(builder.Intern(NewName()));
                return _managed[^1];
            }
            return _managed[(int)(_managed.Count * Math.Pow(random.NextDouble(), 3))];
        }

        public int Leaf() => random.NextDouble() switch
        {
            < 0.1 => builder.Intern(NativeLeaves[random.Next(NativeLeaves.Length)], FrameKind.Native),
            < 0.15 => builder.Intern(KernelLeaves[random.Next(KernelLeaves.Length)], FrameKind.Kernel),
            _ => Managed(),
        };

        private string NewName()
        {
            var ns = Namespaces[random.Next(Namespaces.Length)];
            var type = random.Next(10) == 0
                ? GenericTypes[random.Next(GenericTypes.Length)]
                : TypePrefixes[random.Next(TypePrefixes.Length)] + TypeNouns[random.Next(TypeNouns.Length)];
            var method = Methods[random.Next(Methods.Length)];
            return random.Next(6) switch
            {
                0 => $"{ns}.{type}+<{method}>d__{random.Next(40)}.MoveNext",
                1 => $"{ns}.{type}+<>c__DisplayClass{random.Next(20)}_0.<{method}>b__{random.Next(4)}",
                _ => $"{ns}.{type}.{method}",
            };
        }
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Pluggable.Cli;

/// <summary>
/// Work for the host to do when started with <c>--demo</c>, so that a first profile of the host itself shows a real
/// shape: one thread that computes (primes and hashing), one that builds reports (allocations), two that contend on a lock.
/// </summary>
internal sealed class DemoLoad : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _threads;
    private readonly Lock _ledgerLock = new();
    private long _ledger;

    private DemoLoad()
    {
        _threads =
        [
            Worker("demo-compute", () => { CountPrimes(20_000); HashOrders(200); }),
            Worker("demo-reports", () => BuildReport(500)),
            Worker("demo-ledger-1", UpdateLedger),
            Worker("demo-ledger-2", UpdateLedger),
        ];
    }

    public static DemoLoad Start()
    {
        var load = new DemoLoad();
        foreach (var thread in load._threads)
        {
            thread.Start();
        }
        return load;
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        _stop.Dispose();
    }

    private Thread Worker(string name, Action work) => new(() =>
    {
        while (!_stop.IsCancellationRequested)
        {
            work();
            // Leave most of a core free: the demo is there to be profiled, not to load the machine.
            Thread.Sleep(5);
        }
    }) { IsBackground = true, Name = name };

    private static int CountPrimes(int limit)
    {
        var count = 0;
        for (var candidate = 2; candidate < limit; candidate++)
        {
            var prime = true;
            for (var divisor = 2; divisor * divisor <= candidate; divisor++)
            {
                if (candidate % divisor == 0)
                {
                    prime = false;
                    break;
                }
            }
            count += prime ? 1 : 0;
        }
        return count;
    }

    private static byte[] HashOrders(int orders)
    {
        var hash = new byte[32];
        for (var i = 0; i < orders; i++)
        {
            hash = SHA256.HashData(Encoding.UTF8.GetBytes($"order-{i}-{Convert.ToHexString(hash)}"));
        }
        return hash;
    }

    private static int BuildReport(int lines)
    {
        var rows = new List<string>();
        for (var i = 0; i < lines; i++)
        {
            rows.Add(string.Join(',', Enumerable.Range(i, 8).Select(n => n.ToString("x8"))));
        }
        return string.Join('\n', rows).Length;
    }

    private void UpdateLedger()
    {
        for (var i = 0; i < 50; i++)
        {
            lock (_ledgerLock)
            {
                _ledger++;
                Thread.SpinWait(20_000);
            }
        }
    }
}

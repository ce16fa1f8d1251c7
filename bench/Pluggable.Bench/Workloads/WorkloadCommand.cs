namespace Pluggable.Bench.Workloads;

/// <summary>
/// <c>workload mixed [threads]</c> and <c>workload service</c>: the bench's own targets, run as a process of their own the
/// way the fixture runs (<c>ready &lt;pid&gt;</c> first, then for mixed a counters line every 100 ms), until standard input closes.
/// </summary>
internal static class WorkloadCommand
{
    public static async Task<int> RunAsync(string name, int threads)
    {
        var stdinClosed = Task.Run(() =>
        {
            while (Console.In.ReadLine() is not null)
            {
            }
        });
        switch (name)
        {
            case MixedWorkload.Name:
                using (var workload = MixedWorkload.Start(threads))
                {
                    Console.WriteLine($"ready {Environment.ProcessId}");
                    while (!stdinClosed.IsCompleted)
                    {
                        Console.WriteLine(workload.Counters.Line());
                        await Task.WhenAny(stdinClosed, Task.Delay(100));
                    }
                }
                return 0;
            case ServiceWorkload.Name:
                var (app, address) = await ServiceWorkload.StartAsync();
                await using (app)
                {
                    Console.WriteLine($"ready {Environment.ProcessId} {address}");
                    await stdinClosed;
                    await app.StopAsync();
                }
                return 0;
            default:
                await Console.Error.WriteLineAsync($"unknown workload '{name}'; the bench's own are {MixedWorkload.Name} and {ServiceWorkload.Name}");
                return 2;
        }
    }
}

namespace Pluggable.Bench.Workloads;

/// <summary>
/// <c>workload service</c>: the bench's own target, run as a process of their own the way the fixture runs
/// (<c>ready &lt;pid&gt; &lt;address&gt;</c> first), until standard input closes.
/// </summary>
internal static class WorkloadCommand
{
    public static async Task<int> RunAsync(string name)
    {
        var stdinClosed = Task.Run(() =>
        {
            while (Console.In.ReadLine() is not null)
            {
            }
        });
        switch (name)
        {
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
                await Console.Error.WriteLineAsync($"unknown workload '{name}'; the bench's own is {ServiceWorkload.Name} (the others are the fixture's)");
                return 2;
        }
    }
}

using Pluggable.Fixtures;

// Usage: Pluggable.Fixtures.Workload <workload> [threads] [--exit-after SECONDS]
// Prints "ready <pid>" once running, then a counters line every 100 ms, and exits when stdin closes or the time is up.
if (args.Length == 0 || !Workloads.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: Pluggable.Fixtures.Workload <{string.Join("|", Workloads.Names)}> [threads] [--exit-after SECONDS]");
    return 2;
}
var threads = args.Length > 1 && int.TryParse(args[1], out var n) ? n : 1;
var exitAfter = Array.IndexOf(args, "--exit-after") is var at and >= 0 && at + 1 < args.Length ? TimeSpan.FromSeconds(double.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture)) : Timeout.InfiniteTimeSpan;

using var workload = Workloads.Start(args[0], threads);
Console.WriteLine($"ready {Environment.ProcessId}");
var stdinClosed = Task.Run(() => { while (Console.In.ReadLine() is not null) { } });
var deadline = exitAfter == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + exitAfter;
while (!stdinClosed.IsCompleted && DateTime.UtcNow < deadline)
{
    Console.WriteLine(workload.Counters.Line());
    await Task.WhenAny(stdinClosed, Task.Delay(100));
}
return 0;

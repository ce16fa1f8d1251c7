using Pluggable.Fixtures;

// Usage: Pluggable.Fixtures.Workload <workload> [threads]
// Prints "ready <pid>" once running, then a counters line every 100 ms, and exits when stdin closes.
if (args.Length == 0 || !Workloads.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: Pluggable.Fixtures.Workload <{string.Join("|", Workloads.Names)}> [threads]");
    return 2;
}
var threads = args.Length > 1 && int.TryParse(args[1], out var n) ? n : 1;

using var workload = Workloads.Start(args[0], threads);
Console.WriteLine($"ready {Environment.ProcessId}");
var stdinClosed = Task.Run(() => { while (Console.In.ReadLine() is not null) { } });
while (!stdinClosed.IsCompleted)
{
    Console.WriteLine(workload.Counters.Line());
    await Task.WhenAny(stdinClosed, Task.Delay(100));
}
return 0;

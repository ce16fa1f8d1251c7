using System.Globalization;
using Pluggable.Plugins.Itimer.Agent;

// itimer-agent --pid PID --hz HZ
// Waits for the start command on stdin, seizes the target's threads, says it is ready, then samples until stdin says
// stop or closes, detaches every thread, reports and exits; see AgentProtocol for what goes over stdin and stdout
// (callers' return addresses already moved back into their call instruction). Problems go to stderr.
var pid = 0;
var hz = 100;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--pid": pid = value; break;
        case "--hz": hz = value; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (pid <= 0 || hz is < 1 or > 1000)
{
    Console.Error.WriteLine("usage: itimer-agent --pid PID --hz HZ(1-1000)");
    return 2;
}

var stop = new ManualResetEventSlim();
var started = new ManualResetEventSlim();
new Thread(() =>
{
    while (Console.In.ReadLine() is { } line)
    {
        if (line == AgentProtocol.StartCommand)
        {
            started.Set();
        }
        else if (line == AgentProtocol.StopCommand)
        {
            break;
        }
    }
    started.Set();
    stop.Set();
}) { IsBackground = true, Name = "stdin" }.Start();

started.Wait();
if (stop.IsSet)
{
    return 0;
}
// Every ptrace request must come from the thread that seized: one dedicated thread does all of them.
var exitCode = 0;
using var samples = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
var tracer = new Thread(() => exitCode = new PtraceSampler(pid, hz, samples, Console.Error).Run(stop), 1 << 20) { Name = "tracer" };
tracer.Start();
tracer.Join();
return exitCode;

namespace Pluggable.Core.Profiles;

/// <summary>
/// Names a process's threads for the <c>threads</c> option, which puts each stack under a root frame for its thread:
/// <c>[thread 4242 workload-0]</c>. Names come from /proc/&lt;pid&gt;/task/&lt;tid&gt;/comm, read when a thread is first seen
/// (a thread that has exited by the end keeps the name it had). Not thread-safe.
/// </summary>
public sealed class ThreadNames(int pid)
{
    private readonly Dictionary<int, string> _names = [];

    /// <summary>Reads the thread's name now, if it has not been read yet; call it when the thread is seen.</summary>
    public void Remember(int threadId)
    {
        if (_names.ContainsKey(threadId))
        {
            return;
        }
        string name;
        try
        {
            name = File.ReadAllText($"/proc/{pid}/task/{threadId}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            name = "";
        }
        _names[threadId] = name;
    }

    /// <summary>The root frame's name for a thread.</summary>
    public string FrameName(int threadId)
    {
        Remember(threadId);
        return _names[threadId] is { Length: > 0 } name ? $"[thread {threadId} {name}]" : $"[thread {threadId}]";
    }

    /// <summary>The thread's name, or an empty string when it could not be read.</summary>
    public string NameOf(int threadId)
    {
        Remember(threadId);
        return _names[threadId];
    }
}

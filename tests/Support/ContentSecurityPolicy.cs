namespace Pluggable.Testing;

/// <summary>A Content-Security-Policy header read as the browser reads it: each directive and its sources.</summary>
public static class ContentSecurityPolicy
{
    /// <summary>The directives of <paramref name="header"/>, so a test compares a directive's whole source list rather than finding a word in it.</summary>
    public static Dictionary<string, string[]> Parse(string header) => header
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .ToDictionary(d => d[0], d => d[1..]);

    public static Dictionary<string, string[]> Of(HttpResponseMessage response) => Parse(response.Headers.GetValues("Content-Security-Policy").Single());
}

using System.Text;
using FluentAssertions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;
using Pluggable.Core.Store;

namespace Pluggable.Testing;

/// <summary>The profiler's HTTP API as tests call it, on a client for any host: in the test process or a process of its own.</summary>
public static class ProfilerApi
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        client.PostJsonAsync(path, JObject.FromObject(body).ToString());

    /// <summary>Posts and returns the JSON answer, failing the test with the server's message on anything but success.</summary>
    public static async Task<JToken> PostOkAsync(this HttpClient client, string path, object body)
    {
        var response = await client.PostJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"POST {path} should succeed, but answered {(int)response.StatusCode}: {text}");
        return JToken.Parse(text);
    }

    public static async Task<JToken> GetJsonAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue($"GET {path} should succeed, but answered {(int)response.StatusCode}: {text}");
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        return JToken.Parse(text);
    }

    /// <summary>Starts <paramref name="eventType"/>, waits, stops, and returns the stop's answer.</summary>
    public static async Task<JToken> ProfileAsync(this HttpClient client, string eventType, TimeSpan duration, object? options = null)
    {
        await client.PostOkAsync("/api/profiler/start", new { @event = eventType, options = options ?? new { } });
        await Task.Delay(duration);
        return await client.PostOkAsync("/api/profiler/stop", new { });
    }

    /// <summary>The raw profile a stop response names, as the host serves it; it must parse without errors.</summary>
    public static async Task<StackProfile> ReadRawProfileAsync(this HttpClient client, JToken stopped)
    {
        var raw = stopped["files"]!.Single(f => f["kind"]!.Value<string>() == KnownFileKinds.Raw)["name"]!.Value<string>();
        var read = FoldedFormat.Read(await client.GetStringAsync($"/profiles/{raw}"));
        read.Errors.Should().BeEmpty();
        return read.Profile;
    }
}

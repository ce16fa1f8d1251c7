using Microsoft.Playwright;
using Newtonsoft.Json;

namespace Pluggable.Browser.Tests;

internal static class PageExtensions
{
    /// <summary>Evaluates an expression in the page and reads its value as JSON, into any type Newtonsoft can build.</summary>
    public static async Task<T> EvaluateJsonAsync<T>(this IPage page, string expression) =>
        JsonConvert.DeserializeObject<T>(await page.EvaluateAsync<string>($"() => JSON.stringify({expression})"))!;
}

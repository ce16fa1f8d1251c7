using Microsoft.Playwright;

namespace Pluggable.Browser.Tests;

/// <summary>
/// One headless Chromium for the test run: Debian's /usr/bin/chromium (tests/run.sh installs it), driven by
/// Playwright. Tests skip with the reason only when no browser is installed.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>A name this browser resolves to 127.0.0.1, as a DNS rebinding attacker's name resolves once its owner re-points it.</summary>
    public const string ReboundName = "attacker.test";

    private IPlaywright? _playwright;

    public IBrowser? Browser { get; private set; }

    public static string? MissingReason => File.Exists(ChromiumPath) ? null : $"no browser at {ChromiumPath}: run tests/run.sh as root (it installs Debian's chromium), or apt-get install chromium";

    public async Task InitializeAsync()
    {
        if (MissingReason is not null)
        {
            return;
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync", $"--host-resolver-rules=MAP {ReboundName} 127.0.0.1"],
        });
    }

    /// <summary>A fresh page in a new context (its own cookies and clipboard), 1400×900; fails the test on any page error.</summary>
    public async Task<IPage> NewPageAsync(List<string> errors)
    {
        Skip.If(Browser is null, MissingReason);
        var context = await Browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

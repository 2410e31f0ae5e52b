using System.Text.Json;
using Microsoft.Playwright;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>
/// The sandbox and the app on loopback, driven by the machine's Debian chromium through Playwright (never a
/// downloaded browser). One browser for the class; each test gets its own context (cookie jar).
/// </summary>
public sealed class BrowserWorld : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    public SmartWorld World { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);
        // The machine is shared: generous waits, never a timing assertion.
        Assertions.SetDefaultExpectTimeout(30_000);
        World = await SmartWorld.StartAsync();
        // First requests of a cold host are slow on a busy 2-core machine: warm the launcher before any browser waits on it.
        using (var warm = SmartWorld.Browser())
            await warm.GetStringAsync(World.SandboxOrigin + "/launcher");
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await World.DisposeAsync();
    }

    /// <summary>A fresh browser context; CSP bypassed only so the test can inject axe-core (the app's own CSP is asserted elsewhere).</summary>
    public async Task<IPage> PageAsync(int width = 800, int height = 1000)
    {
        var context = await Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = height },
            BypassCSP = true,
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(45_000);
        context.SetDefaultNavigationTimeout(60_000);
        return await context.NewPageAsync();
    }

    public Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    /// <summary>axe-core's serious and critical WCAG 2.x A/AA violations on the page (or frame).</summary>
    public static async Task<List<string>> SeriousViolationsAsync(IFrame frame)
    {
        await frame.AddScriptTagAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "Browser", "vendor", "axe.min.js") });
        var result = await frame.EvaluateAsync<JsonElement>("""
            async () => {
              const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
              return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
            }
            """);
        return [.. result.EnumerateArray().Select(e => e.GetString()!)];
    }
}

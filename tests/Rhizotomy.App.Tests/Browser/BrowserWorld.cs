using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>
/// The sandbox and the app on loopback, driven by the machine's Debian chromium through Playwright (never a
/// downloaded browser). One browser for the class; each test gets its own context (cookie jar).
/// </summary>
public class BrowserWorld : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>How the sandbox and app are set up (a subclass can show the sandbox's consent screen, say).</summary>
    protected virtual SmartWorld.Options? WorldOptions => null;

    public SmartWorld World { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);
        // The machine is shared: generous waits, never a timing assertion.
        Assertions.SetDefaultExpectTimeout(30_000);
        // The app as deployed: with its start-up warm-up (SmartWorld turns it off for other tests).
        var options = WorldOptions ?? new SmartWorld.Options();
        options.App.TryAdd("App:Warmup:Enabled", "true");
        World = await SmartWorld.StartAsync(options);
        // First requests of a cold host are slow on a busy 2-core machine: warm the launcher before any browser waits on it.
        using (var warm = SmartWorld.Browser())
        {
            await warm.GetStringAsync(World.SandboxOrigin + "/launcher");
            // The app says ready once its start-up warm-up has run: the first launch then meets warm code, as behind a balancer.
            for (var deadline = DateTime.UtcNow.AddMinutes(2); DateTime.UtcNow < deadline; await Task.Delay(100))
            {
                using var ready = await warm.GetAsync(World.AppOrigin + "/health/ready");
                if (ready.IsSuccessStatusCode)
                    break;
            }
        }
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

    /// <summary>
    /// A fresh browser context; CSP bypassed only so the test can inject axe-core (the app's own CSP is asserted elsewhere).
    /// <paramref name="javaScriptEnabled"/> false: the page's own script does not run (the no-script paths).
    /// </summary>
    public async Task<IPage> PageAsync(int width = 800, int height = 1000, bool javaScriptEnabled = true)
    {
        var context = await Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = height },
            JavaScriptEnabled = javaScriptEnabled,
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

    public async Task<IPage> LaunchFromLauncherAsync(string patientId, int width = 800)
    {
        var page = await PageAsync(width);
        await page.GotoAsync(World.SandboxOrigin + "/launcher");
        await page.SelectOptionAsync("select[name=practitioner]", "surgeon-1");
        await page.SelectOptionAsync("select[name=app]", World.AppOrigin + "/launch");
        await page.Locator($"tr:has(a[href='/launcher/patient/{patientId}'])").GetByRole(AriaRole.Button, new() { Name = "Launch", Exact = true }).ClickAsync();
        await ArriveAsync(page, new Regex("^" + Regex.Escape(World.AppOrigin) + "/s/[^/?]+$"));
        await DiscardDraftAsync(page.MainFrame);
        return page;
    }

    /// <summary>The note form resumes this patient and surgeon's draft: each journey starts from the chart, whatever another test saved.</summary>
    public static async Task DiscardDraftAsync(IFrame app)
    {
        var discarded = await app.EvaluateAsync<int>(
            "async () => { const launch = location.pathname.split('/')[2]; const c = await (await fetch('/api/context', { headers: { 'X-Launch-Id': launch } })).json();"
            + " return (await fetch('/api/drafts', { method: 'DELETE', headers: { 'X-CSRF-Token': c.csrfToken, 'X-Launch-Id': launch } })).status; }");
        Assert.Equal(204, discarded);
    }

    /// <summary>Waits for the app page; when the launch ends elsewhere (an error page), says where and what it says.</summary>
    public async Task ArriveAsync(IPage page, Regex url)
    {
        try
        {
            // Commit, then content: the load event itself is not what the surgeon waits for (and on a loaded machine it can lag).
            await page.WaitForURLAsync(url, new() { WaitUntil = WaitUntilState.Commit });
            await Assertions.Expect(page.Locator("h1")).ToBeVisibleAsync();
        }
        catch (TimeoutException)
        {
            var text = await page.Locator("body").InnerTextAsync();
            await ShotAsync(page, "failed-launch-" + Guid.NewGuid().ToString("N")[..6]);
            throw new InvalidOperationException($"The launch ended at {new Uri(page.Url).AbsolutePath}: {text[..Math.Min(400, text.Length)]}");
        }
    }

    /// <summary>Presses Tab until the element matching <paramref name="selector"/> has the focus (as a keyboard user would).</summary>
    public static async Task TabToAsync(IPage page, string selector)
    {
        var target = page.Locator(selector).First;
        for (var i = 0; i < 300; i++)
        {
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement"))
                return;
            await page.Keyboard.PressAsync("Tab");
        }
        throw new InvalidOperationException($"Tab never reached {selector}.");
    }
}

/// <summary>The browser world with one setting of the sandbox changed (its mode, its consent screen).</summary>
public abstract class SandboxSettingBrowserWorld(string key, string value) : BrowserWorld
{
    protected override SmartWorld.Options? WorldOptions
    {
        get
        {
            var options = new SmartWorld.Options();
            options.Sandbox[key] = value;
            return options;
        }
    }
}

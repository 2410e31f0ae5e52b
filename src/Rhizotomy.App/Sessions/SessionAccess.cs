using Microsoft.Extensions.Options;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.Launch;

namespace Rhizotomy.App.Sessions;

/// <summary>
/// Finds the launch-session of a request (launch id from the route, the <c>X-Launch-Id</c> header,
/// the <c>launch</c> query, or the browser's latest launch), keeps its token fresh, and reads the
/// chart once.
/// </summary>
public sealed class SessionAccess(SessionStore store, TokenClient tokens, ChartReader reader, IOptions<AppOptions> options, TimeProvider clock, ILogger<SessionAccess> log)
{
    /// <summary>The one cookie: an opaque browser id the server issued. Tokens never leave the server.</summary>
    public const string CookieName = "rz_session";
    /// <summary>The cookie's name where the app is served over https: the <c>__Host-</c> prefix pins it to this origin, path <c>/</c>, Secure.</summary>
    public const string HostCookieName = "__Host-" + CookieName;
    public const string LaunchHeader = "X-Launch-Id";
    private const string ItemKey = "rhizotomy.session";

    // Refresh and chart reads of one launch run one at a time (two tabs of one launch, a double click).
    private static readonly SemaphoreSlim[] Locks = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public static string CookieNameFor(AppOptions options) => options.IsHttps ? HostCookieName : CookieName;

    /// <summary>The cookie's value as the browser sent it (not yet known to be one the server issued).</summary>
    public string? Cookie(HttpContext context) => context.Request.Cookies[CookieNameFor(options.Value)];

    /// <summary>
    /// At <c>/launch</c>: the internal key the authorization in flight is bound to. A cookie the server never
    /// issued is not adopted: the browser gets a new one.
    /// </summary>
    public async Task<string> BrowserKeyForLaunchAsync(HttpContext context, CancellationToken ct)
    {
        if (await store.BrowserAsync(Cookie(context), ct) is { } known)
            return known.Keys[^1];
        var record = BrowserRecord.New();
        var cookie = await store.IssueBrowserAsync(record, replaced: null, ct);
        context.Response.Cookies.Append(CookieNameFor(options.Value), cookie, CookieOptions(options.Value));
        return record.Keys[0];
    }

    /// <summary>
    /// At <c>/callback</c>: when this browser's cookie is the one the authorization was started with, a fresh
    /// cookie and a fresh key for the new launch replace it (the old cookie reaches nothing from now on: a
    /// planted one is worthless). Returns the new launch's key, or null when the browser is not the one that
    /// started the authorization.
    /// </summary>
    public async Task<string?> SignInAsync(HttpContext context, string pendingKey, string launchId, CancellationToken ct)
    {
        var cookie = Cookie(context);
        var known = await store.BrowserAsync(cookie, ct);
        if (known is null || !known.Keys.Any(k => SessionStore.FixedTimeEquals(k, pendingKey)))
            return null;
        var key = SessionStore.NewId();
        var fresh = await store.IssueBrowserAsync(known.SignedIn(key, launchId), replaced: cookie, ct);
        context.Response.Cookies.Append(CookieNameFor(options.Value), fresh, CookieOptions(options.Value));
        return key;
    }

    /// <summary>Ends every launch of this browser and its cookie (logout).</summary>
    public async Task<int> SignOutAsync(HttpContext context, CancellationToken ct)
    {
        var cookie = Cookie(context);
        var ended = cookie is null ? 0 : await store.EndBrowserAsync(cookie, ct);
        context.Response.Cookies.Delete(CookieNameFor(options.Value), CookieOptions(options.Value));
        return ended;
    }

    /// <summary>
    /// <c>Secure; HttpOnly; SameSite=None; Partitioned</c> so the app works in an EHR's iframe of another site:
    /// a browser that blocks third-party cookies (Chromium does) keeps a partitioned one, for this app under that EHR's
    /// page only. Over plain-HTTP loopback (development) browsers drop Secure cookies, so there it is <c>SameSite=Lax</c>.
    /// </summary>
    public static CookieOptions CookieOptions(AppOptions options)
    {
        var cookie = new CookieOptions
        {
            HttpOnly = true,
            Secure = options.IsHttps,
            SameSite = options.IsHttps ? SameSiteMode.None : SameSiteMode.Lax,
            Path = "/",
            IsEssential = true,
        };
        if (options.IsHttps)
            cookie.Extensions.Add(PartitionedAttribute);
        return cookie;
    }

    /// <summary>CHIPS: the cookie is kept per top-level site (the EHR's page that frames the app).</summary>
    public const string PartitionedAttribute = "Partitioned";

    /// <summary>The session already resolved for this request (by a filter), if any.</summary>
    public static LaunchSession? Current(HttpContext context) => context.Items[ItemKey] as LaunchSession;

    public async Task<LaunchSession?> ResolveAsync(HttpContext context, string? launchId, CancellationToken ct)
    {
        if (Current(context) is { } current)
            return current;
        var cookie = Cookie(context);
        var browser = await store.BrowserAsync(cookie, ct);
        if (browser is null)
        {
            if (cookie is not null)
                Security.SecurityEvents.Log(log, Security.SecurityEvents.AccessRefused, "a browser id the app did not issue, or one it replaced or ended");
            return null;
        }
        // The browser's latest launch only through a cookie the server issued at that launch's sign-in.
        launchId ??= context.Request.Headers[LaunchHeader].FirstOrDefault() ?? context.Request.Query["launch"].FirstOrDefault() ?? browser.Latest;
        if (string.IsNullOrEmpty(launchId))
            return null;
        var session = await store.FindAsync(launchId, browser, ct);
        if (session is null)
        {
            Security.SecurityEvents.Log(log, Security.SecurityEvents.AccessRefused, "no such launch for this browser");
            return null;
        }
        session = await EnsureFreshAsync(session, force: false, ct);
        context.Items[ItemKey] = session;
        return session;
    }

    /// <summary>Refreshes the access token shortly before it expires; a failure asks for a re-launch and keeps the session.</summary>
    public async Task<LaunchSession> EnsureFreshAsync(LaunchSession session, bool force, CancellationToken ct)
    {
        if (!WantsRefresh(session, force))
            return session;

        return await WithLatestAsync(session, async latest =>
        {
            // Another request may have refreshed it while this one waited.
            if (!WantsRefresh(latest, force) || (force && latest.AccessToken != session.AccessToken))
                return latest;
            var updated = await RefreshedAsync(latest, ct);
            await store.SaveAsync(updated, ct);
            return updated;
        }, ct);
    }

    /// <summary>The chart snapshot of the session, read on first use (one wave) and kept.</summary>
    public async Task<LaunchSession> EnsureChartAsync(LaunchSession session, CancellationToken ct)
    {
        if (session.Chart is not null || session.NeedsRelaunch)
            return session;

        return await WithLatestAsync(session, async latest =>
        {
            if (latest.Chart is not null)
                return latest;
            var chart = await reader.ReadAsync(latest, ct);
            var updated = latest with { Chart = chart };
            // A partial read is shown but not kept: the next view tries the EHR again.
            if (chart.Complete)
                await store.SaveAsync(updated, ct);
            return updated;
        }, ct);
    }

    private bool WantsRefresh(LaunchSession session, bool force) =>
        !session.NeedsRelaunch && (force || clock.GetUtcNow() >= session.AccessTokenExpiresAt.AddSeconds(-60));

    private async Task<LaunchSession> RefreshedAsync(LaunchSession latest, CancellationToken ct)
    {
        var ehr = options.Value.Find(latest.Issuer);
        if (ehr is null || latest.RefreshToken is null)
            return latest with { NeedsRelaunch = true };
        try
        {
            var token = await tokens.RefreshAsync(ehr, latest.TokenEndpoint, latest.RefreshToken, ct);
            log.LogInformation("Access token refreshed for a launch");
            return latest with
            {
                AccessToken = token.AccessToken,
                RefreshToken = token.RefreshToken ?? latest.RefreshToken,
                AccessTokenExpiresAt = clock.GetUtcNow().AddSeconds(token.ExpiresIn > 0 ? token.ExpiresIn : 300),
                GrantedScope = token.Scope ?? latest.GrantedScope,
            };
        }
        catch (Exception e) when (e is TokenRequestException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning("Token refresh failed ({Error}): the user is asked to re-launch", e is TokenRequestException t ? t.Error : e.GetType().Name);
            return latest with { NeedsRelaunch = true };
        }
    }

    // Changes to one launch run one at a time, each from what the store holds once it is its turn.
    private async Task<LaunchSession> WithLatestAsync(LaunchSession session, Func<LaunchSession, Task<LaunchSession>> change, CancellationToken ct)
    {
        var gate = Lock(session.LaunchId);
        await gate.WaitAsync(ct);
        try
        {
            var latest = await store.FindAsync(session.LaunchId, session.BrowserId, ct) ?? session;
            return await change(latest);
        }
        finally
        {
            gate.Release();
        }
    }

    private static SemaphoreSlim Lock(string launchId) => Locks[(int)((uint)StringComparer.Ordinal.GetHashCode(launchId) % Locks.Length)];
}

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
    /// <summary>The one cookie: an opaque browser-session id. Tokens never leave the server.</summary>
    public const string CookieName = "rz_session";
    public const string LaunchHeader = "X-Launch-Id";
    private const string ItemKey = "rhizotomy.session";

    // Refresh and chart reads of one launch run one at a time (two tabs of one launch, a double click).
    private static readonly SemaphoreSlim[] Locks = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public static string? BrowserId(HttpContext context) => context.Request.Cookies[CookieName];

    /// <summary>The browser-session id, set as a cookie when the browser has none.</summary>
    public static string EnsureBrowserId(HttpContext context, AppOptions options)
    {
        var existing = BrowserId(context);
        if (existing is { Length: >= 40 and <= 60 })
            return existing;
        var id = SessionStore.NewId();
        context.Response.Cookies.Append(CookieName, id, CookieOptions(options));
        return id;
    }

    /// <summary>
    /// <c>Secure; HttpOnly; SameSite=None</c> so the app works in an EHR's iframe. Over plain-HTTP
    /// loopback (development) browsers drop Secure cookies, so there it is <c>SameSite=Lax</c>.
    /// </summary>
    public static CookieOptions CookieOptions(AppOptions options) => new()
    {
        HttpOnly = true,
        Secure = options.IsHttps,
        SameSite = options.IsHttps ? SameSiteMode.None : SameSiteMode.Lax,
        Path = "/",
        IsEssential = true,
    };

    /// <summary>The session already resolved for this request (by a filter), if any.</summary>
    public static LaunchSession? Current(HttpContext context) => context.Items[ItemKey] as LaunchSession;

    public async Task<LaunchSession?> ResolveAsync(HttpContext context, string? launchId, CancellationToken ct)
    {
        if (Current(context) is { } current)
            return current;
        var browser = BrowserId(context);
        if (browser is null)
            return null;
        launchId ??= context.Request.Headers[LaunchHeader].FirstOrDefault() ?? context.Request.Query["launch"].FirstOrDefault()
            ?? await store.LatestLaunchAsync(browser, ct);
        if (string.IsNullOrEmpty(launchId))
            return null;
        var session = await store.FindAsync(launchId, browser, ct);
        if (session is null)
            return null;
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

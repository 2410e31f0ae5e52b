using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Launch;

namespace Rhizotomy.App.Sessions;

/// <summary>An authorization request in flight: what the callback needs, bound to one browser.</summary>
public sealed record PendingAuthorization(
    string Issuer,
    string BrowserId,
    string CodeVerifier,
    string Nonce,
    string RequestedScope,
    bool Standalone,
    DateTimeOffset CreatedAt);

/// <summary>
/// What the server knows of a browser cookie it issued: the internal browser keys its launches are bound
/// to (never sent to the browser; a new cookie at each sign-in carries the earlier keys, so the browser's
/// other tabs stay open), its launches, and its latest launch (for API calls that name none).
/// </summary>
public sealed record BrowserRecord(IReadOnlyList<string> Keys, IReadOnlyList<string> Launches, string? Latest)
{
    private const int Kept = 32;

    public static BrowserRecord New() => new([SessionStore.NewId()], [], null);

    /// <summary>This browser after a sign-in: a fresh key for the new launch, the earlier ones kept (the newest <see cref="Kept"/>).</summary>
    public BrowserRecord SignedIn(string newKey, string launchId) =>
        new([.. Keys.TakeLast(Kept - 1), newKey], [.. Launches.TakeLast(Kept - 1), launchId], launchId);
}

/// <summary>
/// Server-side state of one launch (one patient in one browser tab). Tokens live only here,
/// never in the browser; the browser holds a session-id cookie and the launch id in the URL.
/// </summary>
public sealed record LaunchSession
{
    public required string LaunchId { get; init; }
    public required string BrowserId { get; init; }
    public required string Issuer { get; init; }
    public required string TokenEndpoint { get; init; }
    public required string AccessToken { get; init; }
    public string? RefreshToken { get; init; }
    public required DateTimeOffset AccessTokenExpiresAt { get; init; }
    public required string GrantedScope { get; init; }
    public string? Patient { get; init; }
    public string? Encounter { get; init; }
    public IReadOnlyList<string> FhirContext { get; init; } = [];
    public bool NeedPatientBanner { get; init; } = true;
    public string? SmartStyleUrl { get; init; }
    /// <summary>The signed-in user from the validated id_token (<c>Practitioner/123</c>, relative when on this EHR).</summary>
    public string? FhirUser { get; init; }
    public bool Standalone { get; init; }
    /// <summary>The token could not be refreshed: the user must launch again (nothing else is lost).</summary>
    public bool NeedsRelaunch { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>What was read from the chart, kept so reloads do not read it again.</summary>
    public Ehr.ChartSnapshot? Chart { get; init; }
}

/// <summary>
/// Pending authorizations and launch-sessions in <see cref="IDistributedCache"/> (memory, or Redis
/// when configured), every value encrypted with ASP.NET Core data protection.
/// </summary>
public sealed class SessionStore(IDistributedCache cache, IDataProtectionProvider protection, IOptions<AppOptions> options, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
    private readonly IDataProtector _protector = protection.CreateProtector("Rhizotomy.App.Sessions.v1");

    /// <summary>128+ bits from the OS generator, URL-safe.</summary>
    public static string NewId(int bytes = 32) => Base64Url(RandomNumberGenerator.GetBytes(bytes));

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public Task SavePendingAsync(string state, PendingAuthorization pending, CancellationToken ct) =>
        SetAsync(PendingKey(state), pending, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) }, ct);

    /// <summary>Reads and removes a pending authorization: a state is good for one callback only.</summary>
    public async Task<PendingAuthorization?> TakePendingAsync(string state, CancellationToken ct)
    {
        var key = PendingKey(state);
        var pending = await GetAsync<PendingAuthorization>(key, ct);
        await cache.RemoveAsync(key, ct);
        return pending;
    }

    public Task SaveAsync(LaunchSession session, CancellationToken ct)
    {
        var max = session.CreatedAt.AddHours(options.Value.SessionMaxHours) - clock.GetUtcNow();
        if (max <= TimeSpan.Zero)
            return cache.RemoveAsync(SessionKey(session.LaunchId), ct);
        return SetAsync(SessionKey(session.LaunchId), session, new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(options.Value.SessionIdleMinutes),
            AbsoluteExpirationRelativeToNow = max,
        }, ct);
    }

    /// <summary>The launch-session when it exists, has not expired, and belongs to this browser.</summary>
    public async Task<LaunchSession?> FindAsync(string launchId, string? browserId, CancellationToken ct)
    {
        if (browserId is null || launchId.Length is 0 or > 100)
            return null;
        var session = await GetAsync<LaunchSession>(SessionKey(launchId), ct);
        if (session is null || !FixedTimeEquals(session.BrowserId, browserId))
            return null;
        if (clock.GetUtcNow() > session.CreatedAt.AddHours(options.Value.SessionMaxHours))
            return null;
        return session;
    }

    public Task RemoveAsync(string launchId, CancellationToken ct) => cache.RemoveAsync(SessionKey(launchId), ct);

    /// <summary>
    /// The server's record of a browser cookie the app issued; null for a cookie it never issued (or one it
    /// replaced, or ended): such a cookie reaches nothing.
    /// </summary>
    public async Task<BrowserRecord?> BrowserAsync(string? cookie, CancellationToken ct)
    {
        if (cookie is null || cookie.Length is 0 or > 100)
            return null;
        return await GetAsync<BrowserRecord>(BrowserKey(cookie), ct);
    }

    /// <summary>Issues a new random cookie value for <paramref name="record"/>; <paramref name="replaced"/> (the cookie it replaces) stops working at once.</summary>
    public async Task<string> IssueBrowserAsync(BrowserRecord record, string? replaced, CancellationToken ct)
    {
        var cookie = NewId();
        await SetAsync(BrowserKey(cookie), record, new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(options.Value.SessionIdleMinutes),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(options.Value.SessionMaxHours),
        }, ct);
        if (replaced is not null)
            await cache.RemoveAsync(BrowserKey(replaced), ct);
        return cookie;
    }

    /// <summary>Ends a browser: its launches are removed and its cookie reaches nothing any more.</summary>
    public async Task<int> EndBrowserAsync(string cookie, CancellationToken ct)
    {
        var record = await BrowserAsync(cookie, ct);
        if (record is null)
            return 0;
        foreach (var launchId in record.Launches)
            await RemoveAsync(launchId, ct);
        await cache.RemoveAsync(BrowserKey(cookie), ct);
        return record.Launches.Count;
    }

    /// <summary>The launch-session of <paramref name="launchId"/> when it belongs to the browser holding <paramref name="cookie"/>.</summary>
    public async Task<LaunchSession?> FindByCookieAsync(string launchId, string? cookie, CancellationToken ct) =>
        await BrowserAsync(cookie, ct) is { } browser ? await FindAsync(launchId, browser, ct) : null;

    /// <summary>The launch-session when it exists, has not expired, and belongs to one of the browser's keys.</summary>
    public async Task<LaunchSession?> FindAsync(string launchId, BrowserRecord browser, CancellationToken ct)
    {
        foreach (var key in browser.Keys)
        {
            if (await FindAsync(launchId, key, ct) is { } session)
                return session;
        }
        return null;
    }

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    // Keys are hashes: the raw state or launch id never appears in the store (or a Redis MONITOR).
    private static string PendingKey(string state) => "pending:" + Hash(state);
    private static string SessionKey(string launchId) => "session:" + Hash(launchId);
    private static string BrowserKey(string browserId) => "browser-v2:" + Hash(browserId);
    private static string Hash(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private Task SetAsync<T>(string key, T value, DistributedCacheEntryOptions entry, CancellationToken ct) =>
        cache.SetAsync(key, _protector.Protect(JsonSerializer.SerializeToUtf8Bytes(value, Json)), entry, ct);

    private async Task<T?> GetAsync<T>(string key, CancellationToken ct) where T : class
    {
        var bytes = await cache.GetAsync(key, ct);
        if (bytes is null)
            return null;
        var json = Unprotect(bytes);
        return json is null ? null : JsonSerializer.Deserialize<T>(json, Json);
    }

    private string? Unprotect(byte[] bytes)
    {
        try
        {
            return Encoding.UTF8.GetString(_protector.Unprotect(bytes));
        }
        catch (CryptographicException)
        {
            // A key ring that no longer holds the key: the session is as good as expired.
            return null;
        }
    }
}

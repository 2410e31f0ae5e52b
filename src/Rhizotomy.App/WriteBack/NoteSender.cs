using System.Threading.Channels;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Rhizotomy.App.Launch;
using Rhizotomy.App.Sessions;

using Task = System.Threading.Tasks.Task;

namespace Rhizotomy.App.WriteBack;

/// <summary>
/// The background sender: sends every due note, again and again with a bounded, jittered
/// back-off (honouring <c>Retry-After</c>), until the EHR accepts it or refuses it for good.
/// Pending notes resume on start because they are found in the store, not in memory.
/// </summary>
public sealed class NoteSender(
    Outbox outbox,
    EhrWriter writer,
    WritePlanner planner,
    WriteLadder ladder,
    SessionStore sessions,
    SessionAccess access,
    TokenClient tokens,
    SmartDiscovery discovery,
    IOptions<AppOptions> appOptions,
    IOptions<WriteBackOptions> options,
    TimeProvider clock,
    ILogger<NoteSender> log,
    Drafts.DraftStore drafts) : BackgroundService
{
    private readonly Channel<string> _kicks = Channel.CreateBounded<string>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.Concurrency));
    private CancellationToken _stopping = CancellationToken.None;
    // The loop's pending wait for a kick, kept across rounds so that an idle poll neither cancels nor throws.
    private Task<bool>? _kicked;
    // One Backend Services token per EHR, shared by every pending note until shortly before it expires.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Token, DateTimeOffset ExpiresAt)> _backendTokens = new();

    /// <summary>The <see cref="OutboxNote.SentWith"/> value of the surgeon's own token.</summary>
    public const string SentWithLaunch = "launch";
    /// <summary>The <see cref="OutboxNote.SentWith"/> value of the site's Backend Services credentials.</summary>
    public const string SentWithBackend = "backend-services";

    /// <summary>Tries the note now and waits up to <paramref name="wait"/> for that attempt; it goes on in the background after that.</summary>
    public async Task SendNowAsync(string id, TimeSpan wait)
    {
        var attempt = Task.Run(() => ProcessAsync(id, _stopping, immediately: true));
        await Task.WhenAny(attempt, Task.Delay(wait));
    }

    /// <summary>Asks the loop to look at the store now (a note became due).</summary>
    public void Kick(string id) => _kicks.Writer.TryWrite(id);

    /// <summary>
    /// Until a kick (a retry fell due, a launch re-bound waiting notes) or the poll interval, whichever is first.
    /// The poll stays as the fallback for notes another instance signed. Nothing is thrown when the interval passes
    /// idle: the kick's wait is kept from one round to the next, and the interval's delay ends by itself.
    /// </summary>
    private async Task WaitForWorkAsync(CancellationToken stoppingToken)
    {
        _kicked ??= _kicks.Reader.WaitToReadAsync(stoppingToken).AsTask();
        using var interval = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        await Task.WhenAny(_kicked, Task.Delay(options.Value.PollMs, interval.Token));
        // A kick ends the poll interval's delay early (its timer is freed; a cancelled delay throws nothing unless awaited).
        await interval.CancelAsync();
        if (!_kicked.IsCompleted)
            return;
        _kicked = null;
        while (_kicks.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>Wakes the loop when a note's next attempt falls due, rather than at the poll after it.</summary>
    private void WakeAfter(TimeSpan delay) =>
        _ = Task.Delay(delay, _stopping).ContinueWith(static (delayed, sender) =>
        {
            if (!delayed.IsCanceled)
                ((NoteSender)sender!).Kick("due");
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        log.LogInformation("Note sender started");
        var running = new List<Task>();
        var starting = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await outbox.PurgeAsync(stoppingToken);
                // A note waiting for a launch can go with the site's Backend Services credentials once its EHR has
                // them (configured after it was queued, or by another instance): on start also the ones refused before.
                var woken = appOptions.Value.Ehrs.Any(e => e.Backend is { IsConfigured: true })
                    ? await outbox.WakeForBackendAsync(HasBackend, againAfterRefusal: starting, stoppingToken)
                    : 0;
                starting = false;
                if (woken > 0)
                    log.LogInformation("{Count} notes waiting for a launch are retried with the EHR's Backend Services credentials", woken);
                foreach (var id in await outbox.DueAsync(options.Value.Concurrency * 4, stoppingToken))
                {
                    await _slots.WaitAsync(stoppingToken);
                    running.Add(Task.Run(async () =>
                    {
                        try
                        {
                            await ProcessAsync(id, stoppingToken);
                        }
                        finally
                        {
                            _slots.Release();
                        }
                    }, CancellationToken.None));
                }
                running.RemoveAll(t => t.IsCompleted);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The store may be briefly unavailable (a PostgreSQL restart): keep going.
                log.LogError("Outbox poll failed: {Error}", e.GetType().Name);
            }

            await WaitForWorkAsync(stoppingToken);
        }
        await Task.WhenAll(running);
    }

    /// <summary>One attempt at one note, when it is due and nobody else is sending it.</summary>
    public async Task ProcessAsync(string id, CancellationToken ct, bool immediately = false)
    {
        OutboxNote? note;
        try
        {
            note = await outbox.ClaimAsync(id, ct, immediately);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError("Claiming a note failed: {Error}", e.GetType().Name);
            return;
        }
        if (note is null)
            return;

        // One span per send attempt, its outcome counted from what the attempt left in the note.
        var activity = Hosting.AppTelemetry.StartSendAttempt(note.Issuer, note.Attempts + 1);
        try
        {
            await AttemptAsync(note, ct);
            Hosting.AppTelemetry.SendAttemptDone(activity, note.Issuer, OutcomeOf(note), note.LastError);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down mid-attempt: the lease runs out and the next start sends it again.
            Hosting.AppTelemetry.SendAttemptDone(activity, note.Issuer, "interrupted", "shutting down");
        }
        catch (Exception e)
        {
            Hosting.AppTelemetry.SendAttemptDone(activity, note.Issuer, "retry", "internal error");
            log.LogError("Sending note {NoteId} failed unexpectedly: {Error}", note.Id, e.GetType().Name);
            note.Attempts++;
            note.LastError = "internal error";
            note.Ambiguous = true;
            var delay = Backoff(note.Attempts, null);
            note.NextAttemptAt = outbox.Now + (long)delay.TotalMilliseconds;
            await outbox.SaveAsync(note, release: true, CancellationToken.None);
            WakeAfter(delay);
        }
    }

    private static string OutcomeOf(OutboxNote note) => note.Status switch
    {
        NoteStatus.Written => "written",
        NoteStatus.Failed => note.LastError?.StartsWith(NoteMessages.GaveUp, StringComparison.Ordinal) == true ? "gave-up" : "refused",
        NoteStatus.WaitingForLaunch => "waiting-for-launch",
        _ => "retry",
    };

    private async Task AttemptAsync(OutboxNote note, CancellationToken ct)
    {
        var payload = outbox.Unprotect<NotePayload>(note.Payload);
        if (payload is null)
        {
            note.Status = NoteStatus.Failed;
            note.LastError = "the stored note can no longer be read (data-protection key lost)";
            await outbox.SaveAsync(note, release: true, ct);
            log.LogError("Note {NoteId} cannot be decrypted: marked failed", note.Id);
            return;
        }

        var plan = Outbox.PlanOf(note);
        if (plan is null)
        {
            plan = await planner.PlanAsync(note.Issuer, ct);
            if (plan is null)
            {
                await RetryLaterAsync(note, "EHR capabilities unreadable", null, ambiguous: false, roundTrips: 1, ct);
                return;
            }
            note.Plan = Outbox.PlanJson(plan);
            note.Strategy = plan.StrategyName;
        }

        var (token, sentWith, transient) = await AnyTokenAsync(note, force: false, ct);
        if (token is null && transient)
        {
            // The backend token could not be asked for (the EHR unreachable): that passes, a new launch is not needed.
            await RetryLaterAsync(note, "EHR token endpoint unreachable", null, ambiguous: false, roundTrips: 0, ct);
            return;
        }
        if (token is null)
        {
            // Which credentials were tried and refused: backend ones are not woken again every cycle.
            note.SentWith = sentWith;
            await WaitForLaunchAsync(note, ct);
            return;
        }

        var bundle = payload.ReadBundle();
        // A transaction larger than the EHR says it takes goes as individual creates from the start (this note only).
        var fitted = plan.Within(bundle);
        if (!ReferenceEquals(fitted, plan))
        {
            plan = fitted;
            note.Plan = Outbox.PlanJson(plan);
            note.Strategy = plan.StrategyName;
        }
        AttemptResult result = null!;
        var lookFirst = note.Ambiguous || note.Attempts > 0;
        // The ladder: a refusal of the request's shape moves this note (and the EHR, remembered) one step down at once.
        for (var step = 0; step < 3; step++)
        {
            for (var tokenTry = 0; tokenTry < 2; tokenTry++)
            {
                note.SentWith = sentWith;
                var request = new WriteRequest(note.Issuer, token, note.Id, payload.PatientId, plan, bundle, Outbox.WrittenOf(note), LookFirst: lookFirst);
                result = await writer.SendAsync(request, async written =>
                {
                    // Individual creates: each resource written is recorded at once, so a crash resumes after it.
                    note.Written = Outbox.WrittenJson(written);
                    await outbox.SaveAsync(note, release: false, CancellationToken.None);
                }, ct);
                note.RoundTrips += result.RoundTrips;
                note.Written = Outbox.WrittenJson(result.Written);
                if (result.Kind != AttemptKind.Unauthorized || tokenTry == 1)
                    break;
                (token, sentWith, _) = await AnyTokenAsync(note, force: true, ct, backendOnly: sentWith == SentWithBackend);
                if (token is null)
                    break;
            }
            if (token is null || result.Kind != AttemptKind.ShapeRefused || WritePlan.Below(plan.Strategy) is not { } below)
                break;
            var codes = string.Join(",", result.Outcome?.Issue.Select(i => i.Code?.ToString()).Where(c => c is not null) ?? []);
            var why = $"{plan.StrategyName} refused by the EHR ({result.Reason}{(codes.Length > 0 ? ", " + codes : "")})";
            await ladder.RememberAsync(note.Issuer, below, why, CancellationToken.None);
            plan = plan.Down(below, why);
            note.Plan = Outbox.PlanJson(plan);
            note.Strategy = plan.StrategyName;
            // What the richer step may have written is found, not written again.
            lookFirst = true;
        }

        note.Attempts++;
        switch (result.Kind)
        {
            case AttemptKind.Written:
                note.Status = NoteStatus.Written;
                note.WrittenAt = outbox.Now;
                note.PurgeAfter = note.WrittenAt + (long)TimeSpan.FromHours(options.Value.RetentionHours).TotalMilliseconds;
                note.LastError = null;
                note.Ambiguous = false;
                await outbox.SaveAsync(note, release: true, CancellationToken.None);
                log.LogInformation("Note {NoteId} written ({Strategy}, {SentWith}) after {Attempts} attempts, {RoundTrips} round trips",
                    note.Id, note.Strategy, note.SentWith, note.Attempts, note.RoundTrips);
                break;
            case AttemptKind.Refused when result.Reason == "HTTP 403" && sentWith == SentWithLaunch && outbox.Unprotect<TokenState>(note.Tokens) is { Rebound: true }:
                // A token handed over by a later launch that the EHR will not take for this note: that launch's
                // grant, not the note, is the problem. The note waits for another launch; it is not failed.
                await WaitForLaunchAsync(note, ct);
                break;
            case AttemptKind.Refused or AttemptKind.ShapeRefused:
                note.Status = NoteStatus.Failed;
                note.LastError = result.Reason;
                note.Outcome = outbox.Protect(new FhirJsonSerializer().SerializeToString(result.Outcome ?? EhrWriter.LocalOutcome(OperationOutcome.IssueType.Processing, "Refused.")));
                await outbox.SaveAsync(note, release: true, CancellationToken.None);
                // Issue codes only: the EHR's wording can name the patient; the surgeon reads it in the note status.
                log.LogWarning("Note {NoteId} refused by the EHR ({Reason}, issues {Issues}): marked failed",
                    note.Id, result.Reason, string.Join(",", result.Outcome?.Issue.Select(i => i.Code?.ToString()) ?? []));
                // Its draft was discarded at signing: it comes back (under a new note id) so the surgeon can correct and sign again.
                await drafts.RestoreFailedAsync(note.Issuer, payload, bundle, note.Id, CancellationToken.None);
                break;
            case AttemptKind.Unauthorized:
                await WaitForLaunchAsync(note, ct);
                break;
            default:
                await RetryLaterAsync(note, result.Reason, result.RetryAfter, result.Ambiguous, 0, ct, counted: true);
                break;
        }
    }

    private async Task RetryLaterAsync(OutboxNote note, string? reason, TimeSpan? retryAfter, bool ambiguous, int roundTrips, CancellationToken ct, bool counted = false)
    {
        if (!counted)
            note.Attempts++;
        note.RoundTrips += roundTrips;
        note.LastError = reason;
        note.Ambiguous |= ambiguous;
        var delay = Backoff(note.Attempts, retryAfter);
        note.NextAttemptAt = outbox.Now + (long)delay.TotalMilliseconds;
        var o = options.Value;
        if (note.Attempts >= o.MaxAttempts || note.NextAttemptAt > note.CreatedAt + (long)TimeSpan.FromMinutes(o.GiveUpAfterMinutes).TotalMilliseconds)
        {
            // Never for ever: the note ends failed with its reason; its answers stay in the store so it can be sent again.
            note.Status = NoteStatus.Failed;
            note.LastError = $"{NoteMessages.GaveUp} {note.Attempts} attempts: {reason ?? "no answer"}";
            note.Outcome = outbox.Protect(new FhirJsonSerializer().SerializeToString(EhrWriter.LocalOutcome(OperationOutcome.IssueType.Transient,
                $"The app stopped trying after {note.Attempts} attempts over {(int)TimeSpan.FromMilliseconds(outbox.Now - note.CreatedAt).TotalMinutes} minutes (App:WriteBack:MaxAttempts, App:WriteBack:GiveUpAfterMinutes); the last answer was: {reason ?? "none"}.")));
            await outbox.SaveAsync(note, release: true, CancellationToken.None);
            log.LogWarning("Note {NoteId} given up after {Attempts} attempts ({Reason}): marked failed", note.Id, note.Attempts, reason);
            return;
        }
        await outbox.SaveAsync(note, release: true, CancellationToken.None);
        WakeAfter(delay);
        log.LogInformation("Note {NoteId} attempt {Attempt} failed ({Reason}); next in {Delay} ms", note.Id, note.Attempts, reason, (int)delay.TotalMilliseconds);
    }

    private async Task WaitForLaunchAsync(OutboxNote note, CancellationToken ct)
    {
        note.Status = NoteStatus.WaitingForLaunch;
        note.LastError = "no valid token: open the app again from the EHR";
        await outbox.SaveAsync(note, release: true, CancellationToken.None);
        log.LogWarning("Note {NoteId} waits for a new launch: no token can be had", note.Id);
    }

    private bool HasBackend(string issuer) => appOptions.Value.Find(issuer)?.Backend is { IsConfigured: true };

    /// <summary>Full jitter over an exponential ceiling, never shorter than the EHR's <c>Retry-After</c>.</summary>
    public TimeSpan Backoff(int attempts, TimeSpan? retryAfter)
    {
        var o = options.Value;
        var ceiling = Math.Min(o.MaxDelayMs, o.BaseDelayMs * Math.Pow(2, Math.Min(20, Math.Max(0, attempts - 1))));
        var delay = TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
        if (retryAfter is { } after && after > delay)
            delay = after > TimeSpan.FromSeconds(o.MaxRetryAfterSeconds) ? TimeSpan.FromSeconds(o.MaxRetryAfterSeconds) : after;
        return delay;
    }

    /// <summary>
    /// The surgeon's token when one can be had, else the site's Backend Services token when the EHR
    /// entry has a <c>Backend</c> registration. The note's content (and its Provenance naming the
    /// surgeon as author) was fixed at signing, under the surgeon's launch; only the transport changes.
    /// </summary>
    /// <remarks><c>Transient</c>: no token because the EHR could not be reached for the backend token; worth retrying without a launch.</remarks>
    private async Task<(string? Token, string SentWith, bool Transient)> AnyTokenAsync(OutboxNote note, bool force, CancellationToken ct, bool backendOnly = false)
    {
        if (!backendOnly && await TokenAsync(note, force, ct) is { } user)
            return (user, SentWithLaunch, false);
        var ehr = appOptions.Value.Find(note.Issuer);
        if (ehr?.Backend is not { IsConfigured: true })
            return (null, SentWithLaunch, false);
        var (backend, transient) = await BackendTokenAsync(ehr, force, ct);
        if (backend is not null)
            log.LogInformation("Note {NoteId} is sent with the EHR's Backend Services credentials: no surgeon token can be had", note.Id);
        return (backend, SentWithBackend, transient);
    }

    private async Task<(string? Token, bool Transient)> BackendTokenAsync(EhrRegistration ehr, bool force, CancellationToken ct)
    {
        var key = AppOptions.Normalise(ehr.Issuer)!;
        if (!force && _backendTokens.TryGetValue(key, out var cached) && clock.GetUtcNow() < cached.ExpiresAt.AddSeconds(-30))
            return (cached.Token, false);
        var config = await discovery.DiscoverAsync(ehr, ct);
        if (config?.TokenEndpoint is not { } tokenEndpoint)
        {
            log.LogWarning("Backend Services token not requested: the EHR's token endpoint could not be discovered");
            return (null, true);
        }
        try
        {
            var token = await tokens.ClientCredentialsAsync(ehr, tokenEndpoint, ct);
            _backendTokens[key] = (token.AccessToken, clock.GetUtcNow().AddSeconds(token.ExpiresIn > 0 ? token.ExpiresIn : 300));
            return (token.AccessToken, false);
        }
        catch (Exception e) when (e is TokenRequestException or HttpRequestException or TaskCanceledException)
        {
            _backendTokens.TryRemove(key, out _);
            log.LogWarning("Backend Services token request failed: {Error}", e is TokenRequestException t ? t.Error : e.GetType().Name);
            // A refusal (invalid_client, invalid_scope) will not pass by itself; an unreachable or failing EHR
            // (no answer, or an HTTP error without an OAuth error code) will.
            return (null, e is not TokenRequestException { Transient: false });
        }
    }

    /// <summary>
    /// A token for the note: from the live launch-session when there is one (refreshed there, so
    /// the one refresh-token chain stays intact), else the note's own copy, refreshed when expired.
    /// Null when none can be had.
    /// </summary>
    private async Task<string?> TokenAsync(OutboxNote note, bool force, CancellationToken ct)
    {
        var state = outbox.Unprotect<TokenState>(note.Tokens);
        if (state is null)
            return null;
        if (state.LaunchId is not null && await sessions.FindAsync(state.LaunchId, state.BrowserId, ct) is { } session)
        {
            var fresh = await access.EnsureFreshAsync(session, force, ct);
            if (!fresh.NeedsRelaunch)
            {
                if (fresh.AccessToken != state.AccessToken)
                    note.Tokens = outbox.Protect(Outbox.TokensOf(fresh));
                return fresh.AccessToken;
            }
        }
        if (!force && clock.GetUtcNow() < state.ExpiresAt.AddSeconds(-30))
            return state.AccessToken;
        var ehr = appOptions.Value.Find(note.Issuer);
        if (ehr is null || state.RefreshToken is null)
            return null;
        try
        {
            var token = await tokens.RefreshAsync(ehr, state.TokenEndpoint, state.RefreshToken, ct);
            var renewed = state with
            {
                AccessToken = token.AccessToken,
                RefreshToken = token.RefreshToken ?? state.RefreshToken,
                ExpiresAt = clock.GetUtcNow().AddSeconds(token.ExpiresIn > 0 ? token.ExpiresIn : 300),
            };
            note.Tokens = outbox.Protect(renewed);
            await outbox.SaveAsync(note, release: false, CancellationToken.None);
            return renewed.AccessToken;
        }
        catch (Exception e) when (e is TokenRequestException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning("Token refresh for a pending note failed: {Error}", e is TokenRequestException t ? t.Error : e.GetType().Name);
            note.Tokens = outbox.Protect(state with { RefreshToken = null });
            return null;
        }
    }
}

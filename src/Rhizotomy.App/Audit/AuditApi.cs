using System.Globalization;
using System.Security.Claims;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.EntityFrameworkCore;
using Rhizotomy.App.Form;
using Rhizotomy.App.Sessions;
using Rhizotomy.App.WriteBack;
using Rhizotomy.Core.Clinical;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace Rhizotomy.App.Audit;

/// <summary>Configuration section <c>App:Audit</c>: the audit store and the admin API's bearer tokens.</summary>
public sealed class AuditOptions
{
    public const string Section = "App:Audit";

    /// <summary><c>sqlite</c> or <c>postgres</c>; default: the outbox's provider (<c>App:WriteBack:Provider</c>).</summary>
    public string? Provider { get; set; }
    /// <summary>Default: for SQLite a file <c>audit.db</c> under the content root's <c>App_Data</c>; for PostgreSQL the outbox's connection string.</summary>
    public string? ConnectionString { get; set; }
    /// <summary>The OpenID Connect authority (the hospital's identity provider) whose JWT access tokens the admin API takes; without it the admin API is off.</summary>
    public string? Authority { get; set; }
    /// <summary>The <c>aud</c> the tokens must carry; without it the audience is not checked.</summary>
    public string? Audience { get; set; }
    /// <summary>The scope (or role) a token must carry to read the audit trail.</summary>
    public string RequiredScope { get; set; } = "system/AuditEvent.rs";
}

/// <summary>
/// The audit trail: its store, and <c>GET /api/admin/AuditEvent</c>, a searchset Bundle of FHIR AuditEvents for the
/// integration team (JWT bearer from the configured authority with the required scope or role).
/// </summary>
public static class AuditApi
{
    public const string Policy = "audit-read";
    private const string ActionSystem = "https://rhizotomy.example.org/fhir/CodeSystem/audit-action";

    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuditOptions.Section).Get<AuditOptions>() ?? new AuditOptions();
        builder.Services.AddOptions<AuditOptions>().Bind(builder.Configuration.GetSection(AuditOptions.Section));
        var writeBack = builder.Configuration.GetSection(WriteBackOptions.Section).Get<WriteBackOptions>() ?? new WriteBackOptions();
        var provider = options.Provider ?? writeBack.Provider;
        if (string.Equals(provider, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            var connection = options.ConnectionString ?? writeBack.ConnectionString ?? throw new InvalidOperationException("App:Audit:ConnectionString (or App:WriteBack:ConnectionString) is required for PostgreSQL.");
            builder.Services.AddStore<AuditDb, SqliteAuditDb, PostgresAuditDb>(postgres: true, connection, AuditDb.HistoryTable);
        }
        else
        {
            var connection = options.ConnectionString;
            if (string.IsNullOrWhiteSpace(connection))
            {
                var folder = writeBack.ConnectionString is { } outbox && new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(outbox).DataSource is { Length: > 0 } file
                    ? Path.GetDirectoryName(Path.GetFullPath(file, builder.Environment.ContentRootPath))!
                    : Path.Combine(builder.Environment.ContentRootPath, "App_Data");
                Directory.CreateDirectory(folder);
                connection = "Data Source=" + Path.Combine(folder, "audit.db");
            }
            builder.Services.AddStore<AuditDb, SqliteAuditDb, PostgresAuditDb>(postgres: false, connection, AuditDb.HistoryTable);
        }
        builder.Services.AddSingleton<AuditTrail>();

        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            builder.Services.AddAuthentication().AddJwtBearer(JwtBearerDefaults.AuthenticationScheme, jwt =>
            {
                jwt.Authority = options.Authority;
                // Plain http only for a loopback authority (a test IdP on this machine).
                jwt.RequireHttpsMetadata = !(Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) && authority.IsLoopback);
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters.ValidateAudience = options.Audience is not null;
                jwt.TokenValidationParameters.ValidAudience = options.Audience;
            });
            builder.Services.AddAuthorization(auth => auth.AddPolicy(Policy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => HasScope(context.User, options.RequiredScope))));
        }
        return builder;
    }

    public static bool HasScope(ClaimsPrincipal user, string required) =>
        user.FindAll("scope").Concat(user.FindAll("scp")).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Concat(user.FindAll("role").Concat(user.FindAll("roles")).Select(c => c.Value))
            .Contains(required, StringComparer.Ordinal);

    public static WebApplication MapAudit(this WebApplication app)
    {
        using (var scope = app.Services.CreateScope())
        {
            using var db = scope.ServiceProvider.GetRequiredService<IDbContextFactory<AuditDb>>().CreateDbContext();
            // The schema is the store's migrations; a store made before them (it created its table itself) is taken as their first.
            StoreMigrations.Apply(db, probeTable: "audit_events");
        }
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuditOptions>>().Value;
        if (string.IsNullOrWhiteSpace(options.Authority))
            return app;
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/api/admin/AuditEvent", SearchAsync).RequireAuthorization(Policy);
        return app;
    }

    /// <summary>Search: <c>date</c> (repeatable, with <c>ge</c>/<c>gt</c>/<c>le</c>/<c>lt</c>/<c>eq</c> prefixes), <c>patient</c>, <c>agent</c> (or <c>user</c>), <c>action</c> (C, R, U), <c>subtype</c> (open-case, view-note, sign-note, amend-note), <c>_count</c> (default 100, at most 1000).</summary>
    private static async Task<IResult> SearchAsync(HttpContext http, IDbContextFactory<AuditDb> factory, CancellationToken ct)
    {
        var query = http.Request.Query;
        await using var db = await factory.CreateDbContextAsync(ct);
        IQueryable<AuditRecord> records = db.Records.AsNoTracking();
        foreach (var date in query["date"])
        {
            if (!TryDate(date, out var prefix, out var from, out var to))
                return ApiErrors.Outcome(StatusCodes.Status400BadRequest, IssueType.Value, "date must be a FHIR date or dateTime with an optional prefix (ge, gt, le, lt, eq).");
            records = prefix switch
            {
                "ge" => records.Where(r => r.Time >= from),
                "gt" => records.Where(r => r.Time >= to),
                "le" => records.Where(r => r.Time < to),
                "lt" => records.Where(r => r.Time < from),
                _ => records.Where(r => r.Time >= from && r.Time < to),
            };
        }
        if (query["patient"].FirstOrDefault() is { Length: > 0 } patient)
        {
            var reference = patient.Contains('/', StringComparison.Ordinal) ? patient : "Patient/" + patient;
            records = records.Where(r => r.Patient == reference);
        }
        if ((query["agent"].FirstOrDefault() ?? query["user"].FirstOrDefault()) is { Length: > 0 } agent)
            records = records.Where(r => r.User == agent);
        if (query["subtype"].FirstOrDefault() is { Length: > 0 } subtype)
            records = records.Where(r => r.Action == subtype);
        if (query["action"].FirstOrDefault() is { Length: > 0 } action)
        {
            var actions = AuditActions.All.Where(a => Crud(a) == action).ToList();
            records = records.Where(r => actions.Contains(r.Action));
        }
        var count = int.TryParse(query["_count"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? Math.Clamp(c, 1, 1000) : 100;
        var total = await records.CountAsync(ct);
        var page = await records.OrderByDescending(r => r.Time).ThenByDescending(r => r.Id).Take(count).ToListAsync(ct);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = total };
        foreach (var record in page)
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = ToAuditEvent(record), Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match } });
        return FhirIo.Ok(bundle);
    }

    public static AuditEvent ToAuditEvent(AuditRecord record)
    {
        var audit = new AuditEvent
        {
            Id = record.Id.ToString(CultureInfo.InvariantCulture),
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
            Subtype =
            [
                new Coding("http://hl7.org/fhir/restful-interaction", record.Action == AuditActions.SignNote ? "create" : record.Action == AuditActions.AmendNote ? "update" : "read"),
                new Coding(ActionSystem, record.Action),
            ],
            Action = Crud(record.Action) switch { "C" => AuditEvent.AuditEventAction.C, "U" => AuditEvent.AuditEventAction.U, _ => AuditEvent.AuditEventAction.R },
            Recorded = DateTimeOffset.FromUnixTimeMilliseconds(record.Time),
            Outcome = AuditEvent.AuditEventOutcome.N0,
            Agent =
            [
                new AuditEvent.AgentComponent
                {
                    Who = record.User is null ? null : new ResourceReference(record.User),
                    Requestor = true,
                },
            ],
            Source = new AuditEvent.SourceComponent
            {
                Site = record.Issuer,
                Observer = new ResourceReference { Display = "Rhizotomy note app" },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
        };
        if (record.Patient is not null)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(record.Patient),
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
                Role = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
            });
        }
        if (record.Note is not null)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference { Identifier = new Identifier(Known.NoteIdentifierSystem, record.Note) },
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
                Role = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "3", "Report"),
            });
        }
        return audit;
    }

    private static string Crud(string action) => action switch
    {
        AuditActions.SignNote => "C",
        AuditActions.AmendNote => "U",
        _ => "R",
    };

    // A FHIR date or dateTime with an optional prefix: the instant range it stands for, in Unix milliseconds.
    private static bool TryDate(string? value, out string prefix, out long from, out long to)
    {
        prefix = "eq";
        from = to = 0;
        if (string.IsNullOrEmpty(value))
            return false;
        if (value.Length > 2 && char.IsLetter(value[0]) && char.IsLetter(value[1]))
        {
            prefix = value[..2];
            value = value[2..];
            if (prefix is not ("ge" or "gt" or "le" or "lt" or "eq"))
                return false;
        }
        var styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (value.Length == 10 && DateTimeOffset.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, styles, out var day))
        {
            from = day.ToUnixTimeMilliseconds();
            to = day.AddDays(1).ToUnixTimeMilliseconds();
            return true;
        }
        if (value.Contains('T', StringComparison.Ordinal) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, styles, out var instant))
        {
            from = instant.ToUnixTimeMilliseconds();
            to = from + 1;
            return true;
        }
        return false;
    }
}

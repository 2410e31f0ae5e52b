using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Rhizotomy.App.Ehr;
using Rhizotomy.App.WriteBack;

namespace Rhizotomy.App.Tests.Interop;

/// <summary>Point 1 of issue 14: what an EHR sends is read as far as it can be; what cannot is skipped, named by path, logged once.</summary>
public class TolerantReadingTests
{
    /// <summary>The CapabilityStatement of the field report: an empty array, a vendor element, a non-R4 interaction code, a date without a time zone.</summary>
    public const string FieldCapability = """
        {"resourceType":"CapabilityStatement","status":"active","date":"2024-01-02T10:00:00","kind":"instance","fhirVersion":"4.0.1",
         "format":["json"],"implementationGuide":[],"vendorExtensionBlock":{"build":"2024.1"},
         "rest":[{"mode":"server","interaction":[{"code":"transaction"},{"code":"patch-all"}],
           "resource":[
             {"type":"Procedure","interaction":[{"code":"create"}],"conditionalCreate":true,"searchParam":[]},
             {"type":"Composition","interaction":[{"code":"create"}],"conditionalCreate":true},
             {"type":"DocumentReference","interaction":[{"code":"create"},{"code":"update"}],"conditionalCreate":"yes please"},
             {"type":"Provenance","interaction":[{"code":"create"}],"conditionalCreate":true}]}]}
        """;

    [Fact]
    public void A_malformed_capability_statement_is_read_with_its_unreadable_parts_removed_and_named_by_path()
    {
        var statement = Assert.IsType<CapabilityStatement>(TolerantFhir.Parse(FieldCapability, out var skipped));

        var rest = statement.Rest.Single();
        // The unknown interaction code is gone; the one R4 knows stays, and reading the codes no longer throws.
        Assert.Equal([CapabilityStatement.SystemRestfulInteraction.Transaction], rest.Interaction.Select(i => i.Code!.Value));
        Assert.Null(rest.Resource.Single(r => r.Type == "DocumentReference").ConditionalCreate);
        Assert.Null(statement.Date);
        Assert.Contains(skipped, s => s.Path == "CapabilityStatement.rest[0].interaction[1].code");
        Assert.Contains(skipped, s => s.Path == "CapabilityStatement.date");
        Assert.Contains(skipped, s => s.Path == "CapabilityStatement.vendorExtensionBlock");
        Assert.Contains(skipped, s => s.Path == "CapabilityStatement.implementationGuide[0]");
        // Paths and codes only: the values (which in a chart resource could be PHI) are not in what is reported.
        Assert.DoesNotContain(skipped, s => s.Path.Contains("patch-all", StringComparison.Ordinal) || s.Code.Contains("yes", StringComparison.Ordinal));
    }

    [Fact]
    public void The_plan_uses_what_could_be_read_then_the_setting_then_a_default()
    {
        var statement = (CapabilityStatement)TolerantFhir.Parse(FieldCapability, out _)!;

        // DocumentReference's conditionalCreate could not be read: no conditional create there, so the document alone.
        var read = WritePlan.Choose(statement, null);
        Assert.Equal(WriteStrategy.DocumentOnly, read.Strategy);
        Assert.Equal("capability", read.Source);
        Assert.True(read.CanUpdateDocument);
        Assert.Contains("DocumentReference", read.Why, StringComparison.Ordinal);

        var configured = WritePlan.Choose(statement, new Rhizotomy.App.Launch.EhrRegistration { WriteStrategy = "individual" });
        Assert.Equal((WriteStrategy.Individual, "configuration"), (configured.Strategy, configured.Source));

        var none = WritePlan.Choose(TolerantFhir.Parse("{\"resourceType\":\"CapabilityStatement\",\"rest\":[]}", out _) as CapabilityStatement, null);
        Assert.Equal((WriteStrategy.Transaction, "default"), (none.Strategy, none.Source));
        Assert.Null(TolerantFhir.Parse("<html>not FHIR</html>", out _));
    }

    [Fact]
    public void What_could_not_be_read_is_logged_once_per_ehr_and_path_without_values()
    {
        var logger = new RecordingLogger();
        var log = new TolerantReadLog(logger);
        var patient = """{"resourceType":"Patient","id":"p1","birthDate":"02/04/1980","gender":"female","name":[{"family":"Secretname"}]}""";

        for (var i = 0; i < 3; i++)
            Assert.IsType<Patient>(log.Parse("https://ehr.example/fhir", patient));
        log.Parse("https://other.example/fhir", patient);

        Assert.Equal(2, logger.Lines.Count);
        Assert.All(logger.Lines, l => Assert.Contains("Patient.birthDate", l, StringComparison.Ordinal));
        Assert.All(logger.Lines, l => Assert.DoesNotContain("02/04/1980", l, StringComparison.Ordinal));
        Assert.All(logger.Lines, l => Assert.DoesNotContain("Secretname", l, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, logger.Levels.Distinct().Single());
    }

    [Theory]
    [InlineData(400, "Bundle has too many entries: 9 conditional entries", "invalid", true, true)]
    [InlineData(400, "Conditional create is not supported", "invalid", false, true)]
    [InlineData(405, null, null, false, true)]
    [InlineData(413, null, null, false, true)]
    [InlineData(404, null, null, true, true)]
    [InlineData(404, null, null, false, false)]
    [InlineData(422, "DocumentReference content must be text/plain", "business-rule", false, false)]
    [InlineData(422, "Procedure.status must be completed", "invariant", false, false)]
    [InlineData(422, null, "not-supported", false, true)]
    public void Shape_refusals_move_down_the_ladder_content_refusals_do_not(int status, string? words, string? code, bool transaction, bool shape)
    {
        var outcome = words is null && code is null ? null : new OperationOutcome
        {
            Issue = [new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = code is null ? OperationOutcome.IssueType.Invalid : Hl7.Fhir.Utility.EnumUtility.ParseLiteral<OperationOutcome.IssueType>(code),
                Diagnostics = words,
            }],
        };
        Assert.Equal(shape, EhrWriter.IsShapeRefusal(status, outcome, transaction));
    }

    private sealed class RecordingLogger : ILogger<TolerantReadLog>
    {
        public List<string> Lines { get; } = [];
        public List<LogLevel> Levels { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Levels.Add(logLevel);
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => p.Key + "=" + (p.Value is System.Collections.IEnumerable e and not string ? string.Join(",", e.Cast<object>()) : p.Value)))
                : "";
            Lines.Add(formatter(state, exception) + " " + properties);
        }
    }
}

/// <summary>Issue 14 point 5: a launch whose user is not a practitioner is read-only and says why.</summary>
public class RoleTests
{
    private static Rhizotomy.App.Sessions.LaunchSession Session(string? fhirUser) => new()
    {
        LaunchId = "l", BrowserId = "b", Issuer = "https://ehr.example/fhir", TokenEndpoint = "https://ehr.example/token", AccessToken = "t",
        AccessTokenExpiresAt = DateTimeOffset.UtcNow.AddHours(1), CreatedAt = DateTimeOffset.UtcNow, Patient = "p1",
        GrantedScope = "launch openid fhirUser patient/*.read user/DocumentReference.write user/Procedure.write", FhirUser = fhirUser,
    };

    [Theory]
    [InlineData("Patient/p1")]
    [InlineData("RelatedPerson/r1")]
    [InlineData(null)]
    public void A_user_who_is_not_a_practitioner_gets_a_read_only_launch_that_says_why(string? fhirUser)
    {
        var mode = Rhizotomy.App.Sessions.ContextModel.ModeOf(Session(fhirUser));
        Assert.True(mode.ReadOnly);
        Assert.Equal(Rhizotomy.App.Sessions.ContextModel.NotPractitionerNotice, mode.ReadOnlyReason);
    }

    [Fact]
    public void A_practitioner_with_write_scopes_can_sign()
    {
        var mode = Rhizotomy.App.Sessions.ContextModel.ModeOf(Session("Practitioner/test-surgeon"));
        Assert.False(mode.ReadOnly);
        Assert.Null(mode.ReadOnlyReason);
    }
}

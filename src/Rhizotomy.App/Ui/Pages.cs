using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http.HttpResults;
using Rhizotomy.App.Components;

namespace Rhizotomy.App.Ui;

/// <summary>
/// Pages are Razor components (<c>Components/</c>) rendered by the endpoints with <see cref="RazorComponentResult"/>;
/// Razor encodes every chart value. This class holds the failure pages' wording.
/// </summary>
public static class Pages
{
    /// <summary>A page component as an endpoint's result, with its status.</summary>
    public static RazorComponentResult Render<TComponent>(Dictionary<string, object?>? parameters = null, int status = StatusCodes.Status200OK)
        where TComponent : IComponent =>
        new(typeof(TComponent), parameters ?? []) { StatusCode = status, ContentType = "text/html; charset=utf-8" };

    /// <summary>
    /// The one failure page: what happened, the next step, the right status; never a stack trace or
    /// an internal detail. Every failure a surgeon can meet is rendered by it (see the README).
    /// </summary>
    public static IResult Error(int status, string title, string message, string nextStep) =>
        Render<ErrorPage>(new()
        {
            [nameof(ErrorPage.Title)] = title,
            [nameof(ErrorPage.Message)] = message,
            [nameof(ErrorPage.NextStep)] = nextStep,
        }, status);

    /// <summary>Said at the top of the evidence and note pages of a read-only launch (no permission to file notes).</summary>
    public const string ReadOnlyNotice = "Read-only: the EHR did not grant the app permission to file notes. You can review the chart, fill in and check the note (the draft is kept), but not sign it here.";

    /// <summary>The next step after most failures of a launch: the EHR starts a new one.</summary>
    public const string Relaunch = "Open the app again from the patient's chart in the EHR.";

    /// <summary>The launch-session is gone (idle or too old, another browser, or never existed).</summary>
    public static IResult SessionEnded(string nextStep = "Open the app again from the patient's chart in the EHR: the note form comes back as it was last saved.") =>
        Error(StatusCodes.Status401Unauthorized, "Your session has ended",
            "The app keeps a session for a limited time, and only in the browser that opened it.", nextStep);

    /// <summary>The EHR's FHIR API did not answer (or answered with errors) when the chart was read.</summary>
    public static IResult EhrUnavailable() => Error(StatusCodes.Status503ServiceUnavailable, "The EHR is not answering",
        "The app could not read this patient's record from the EHR just now, so it shows nothing rather than part of a chart.",
        "Wait a minute and reload this page: the app asks the EHR again, and nothing is lost. If it keeps happening, tell your EHR support team.");
}

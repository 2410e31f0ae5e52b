using Rhizotomy.App.WriteBack;

namespace Rhizotomy.App.Tests.WriteBack;

/// <summary>The outbox's reasons, as the sender records them, in the surgeon's words (the API keeps the reason itself).</summary>
public class NoteMessagesTests
{
    [Theory]
    [InlineData("HTTP 503", "The EHR is not answering at the moment (HTTP 503); the app keeps trying.")]
    [InlineData("HTTP 502", "The EHR is not answering at the moment (HTTP 502); the app keeps trying.")]
    [InlineData("HTTP 500", "The EHR ran into a problem of its own (HTTP 500); the app keeps trying.")]
    [InlineData("HTTP 429", "The EHR is busy and asked the app to wait (HTTP 429); the app tries again after the pause it asked for.")]
    [InlineData("HTTP 408", "The EHR took too long to answer (HTTP 408); the app keeps trying.")]
    [InlineData("HTTP 409", "The EHR was busy with another change to the same records (HTTP 409); the app tries again.")]
    [InlineData("connection failed", "The app cannot reach the EHR at the moment (no connection); the app keeps trying.")]
    [InlineData("timed out", "The EHR did not answer in time; the app keeps trying, and looks first so that the note is never filed twice.")]
    [InlineData("EHR capabilities unreadable", "The EHR did not say how it takes notes (its capability statement could not be read); the app keeps trying.")]
    [InlineData("EHR token endpoint unreachable", "The app cannot reach the EHR's sign-in service at the moment; the app keeps trying.")]
    [InlineData("internal error", "Something went wrong in the app while sending the note; the app keeps trying.")]
    [InlineData("a reason added later", "The EHR has not accepted it yet (a reason added later); the app keeps trying.")]
    public void A_pending_note_s_reason_is_said_in_plain_words_with_what_the_app_does_next(string reason, string message) =>
        Assert.Equal(message, NoteMessages.Of(NoteStatus.Pending, reason, attempts: 2));

    [Theory]
    [InlineData("HTTP 422", "The EHR found that the note does not meet its rules (HTTP 422).")]
    [InlineData("HTTP 400", "The EHR could not read the note as the app sent it (HTTP 400).")]
    [InlineData("HTTP 403", "The EHR did not allow the app to file the note (HTTP 403).")]
    [InlineData("HTTP 410", "The EHR refused the note (HTTP 410).")]
    [InlineData("the stored note can no longer be read (data-protection key lost)", "The app can no longer read the stored note (its encryption key was lost), so it cannot be sent.")]
    [InlineData(null, "The EHR refused the note without saying why.")]
    public void A_refused_note_s_reason_is_said_in_plain_words(string? reason, string message) =>
        Assert.Equal(message, NoteMessages.Of(NoteStatus.Failed, reason, attempts: 1));

    [Fact]
    public void A_note_without_a_failed_attempt_says_the_first_attempt_is_under_way_and_one_waiting_for_a_launch_says_to_open_the_app_again()
    {
        Assert.Equal("The first attempt to send it is under way.", NoteMessages.Of(NoteStatus.Pending, null, attempts: 0));
        Assert.Contains("open", NoteMessages.Of(NoteStatus.WaitingForLaunch, "no valid token: open the app again from the EHR", attempts: 1));
        Assert.DoesNotContain("token", NoteMessages.Of(NoteStatus.WaitingForLaunch, "no valid token: open the app again from the EHR", attempts: 1));
    }
}

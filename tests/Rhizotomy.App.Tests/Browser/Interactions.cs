using Microsoft.Playwright;

namespace Rhizotomy.App.Tests.Browser;

/// <summary>
/// The surgeon's interactions of a journey, counted as the targets count them (a click, a value typed, a
/// selection), and the steps every note ends with.
/// </summary>
public sealed class Interactions
{
    public int Count { get; private set; }

    public void Reset() => Count = 0;

    /// <summary>One interaction.</summary>
    public async Task Act(Func<Task> interaction)
    {
        Count++;
        await interaction();
    }

    /// <summary>
    /// What nothing prefills: the anaesthesia (never pre-selected) and the time-out, then after the nerves no complications,
    /// the blood loss, home the same day, the plan, and the times (ten interactions).
    /// </summary>
    public Task CloseTheNoteAsync(IPage page, string bloodLossMl, string woundCare, string start, string end) =>
        CloseTheNoteAsync(page.MainFrame, bloodLossMl, woundCare, start, end);

    /// <summary>The same in the app's frame (the app inside the EHR's iframe).</summary>
    public async Task CloseTheNoteAsync(IFrame page, string bloodLossMl, string woundCare, string start, string end)
    {
        await Act(() => page.GetByRole(AriaRole.Group, new() { Name = "Anaesthesia" }).GetByLabel("General anesthesia").CheckAsync());
        await Act(() => page.Locator("#f-time-out").CheckAsync());
        await Act(() => page.GetByRole(AriaRole.Group, new() { Name = "Complications (or: no complications)" }).GetByLabel("No complications").CheckAsync());
        await Act(() => page.GetByLabel("Estimated blood loss").FillAsync(bloodLossMl));
        await Act(() => page.GetByLabel("Discharge home the same day").CheckAsync());
        await Act(() => page.GetByLabel("Pain management").FillAsync("Paracetamol and ibuprofen for 5 days"));
        await Act(() => page.GetByLabel("Wound care and infection prevention").FillAsync(woundCare));
        await Act(() => page.GetByLabel("Return to activity").FillAsync("Light activity after one week"));
        await Act(() => page.GetByLabel("Start").FillAsync(start));
        await Act(() => page.GetByLabel("End (required)").FillAsync(end));
    }
}

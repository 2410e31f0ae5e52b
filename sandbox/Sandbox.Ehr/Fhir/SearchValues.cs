using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// FHIR dates as half-open ranges of UTC ticks: <c>2020-03</c> is [2020-03-01, 2020-04-01).
/// A partial date is a range, so search prefixes compare ranges, not points.
/// </summary>
public static partial class FhirDates
{
    public const long Min = 0;
    public static readonly long Max = DateTime.MaxValue.Ticks;

    public static bool TryParse(string? value, out long low, out long high)
    {
        low = high = 0;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }
        var match = DatePattern().Match(value.Trim());
        if (!match.Success)
        {
            return false;
        }
        try
        {
            var year = int.Parse(match.Groups["y"].Value, CultureInfo.InvariantCulture);
            if (!match.Groups["m"].Success)
            {
                var start = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc);
                (low, high) = (start.Ticks, start.AddYears(1).Ticks);
                return true;
            }
            var month = int.Parse(match.Groups["m"].Value, CultureInfo.InvariantCulture);
            if (!match.Groups["d"].Success)
            {
                var start = new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Utc);
                (low, high) = (start.Ticks, start.AddMonths(1).Ticks);
                return true;
            }
            var day = int.Parse(match.Groups["d"].Value, CultureInfo.InvariantCulture);
            if (!match.Groups["h"].Success)
            {
                var start = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
                (low, high) = (start.Ticks, start.AddDays(1).Ticks);
                return true;
            }
            var hour = int.Parse(match.Groups["h"].Value, CultureInfo.InvariantCulture);
            var minute = int.Parse(match.Groups["min"].Value, CultureInfo.InvariantCulture);
            var second = match.Groups["s"].Success ? int.Parse(match.Groups["s"].Value, CultureInfo.InvariantCulture) : 0;
            var offset = TimeSpan.Zero;
            if (match.Groups["tz"].Success && match.Groups["tz"].Value != "Z")
            {
                var tz = match.Groups["tz"].Value;
                offset = new TimeSpan(int.Parse(tz[1..3], CultureInfo.InvariantCulture), int.Parse(tz[4..6], CultureInfo.InvariantCulture), 0);
                if (tz[0] == '-')
                {
                    offset = -offset;
                }
            }
            var local = new DateTimeOffset(year, month, day, hour, minute, second, offset);
            var unit = !match.Groups["s"].Success ? TimeSpan.FromMinutes(1)
                : match.Groups["f"].Success ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromSeconds(1);
            if (match.Groups["f"].Success)
            {
                var fraction = match.Groups["f"].Value[1..];
                local = local.AddTicks((long)(double.Parse("0." + fraction, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond));
            }
            (low, high) = (local.UtcTicks, local.UtcTicks + unit.Ticks);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^(?<y>\d{4})(-(?<m>\d{2})(-(?<d>\d{2})(T(?<h>\d{2}):(?<min>\d{2})(:(?<s>\d{2})(?<f>\.\d{1,9})?)?(?<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$")]
    private static partial Regex DatePattern();
}

/// <summary>String search matching: case- and accent-insensitive, as FHIR asks.</summary>
public static class FhirStrings
{
    // Invariant globalization has no Unicode decomposition, so accents are folded from a table.
    private const string Accented = "ÀÁÂÃÄÅĀĂĄàáâãäåāăąÇĆĈĊČçćĉċčĎĐďđÈÉÊËĒĔĖĘĚèéêëēĕėęěĜĞĠĢĝğġģĤĦĥħÌÍÎÏĨĪĬĮİìíîïĩīĭįıĴĵĶķĹĻĽĿŁĺļľŀłÑŃŅŇñńņňÒÓÔÕÖØŌŎŐòóôõöøōŏőŔŖŘŕŗřŚŜŞŠśŝşšŢŤŦţťŧÙÚÛÜŨŪŬŮŰŲùúûüũūŭůűųŴŵÝŸŶýÿŷŹŻŽźżž";
    private const string Plain = "AAAAAAAAAaaaaaaaaaCCCCCcccccDDddEEEEEEEEEeeeeeeeeeGGGGggggHHhhIIIIIIIIIiiiiiiiiiJjKkLLLLLlllllNNNNnnnnOOOOOOOOOoooooooooRRRrrrSSSSssssTTTtttUUUUUUUUUUuuuuuuuuuuWwYYYyyyZZZzzz";

    public static string Normalize(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            var index = Accented.IndexOf(c, StringComparison.Ordinal);
            var folded = index >= 0 ? Plain[index] : c;
            switch (folded)
            {
                case 'ß':
                    builder.Append("ss");
                    break;
                case 'Æ' or 'æ':
                    builder.Append("ae");
                    break;
                case 'Œ' or 'œ':
                    builder.Append("oe");
                    break;
                default:
                    builder.Append(char.ToLowerInvariant(folded));
                    break;
            }
        }
        return builder.ToString();
    }
}

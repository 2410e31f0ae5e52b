using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Rhizotomy.App.Tests.Hosting;

/// <summary>
/// The configuration reference (<c>src/Rhizotomy.App/deploy/CONFIGURATION.md</c>) names every setting the app binds:
/// each settable property of every options class with a <c>Section</c> (and of what they hold), and every key the
/// code reads by name.
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    private static string Reference() =>
        File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "src", "Rhizotomy.App", "deploy", "CONFIGURATION.md"));

    /// <summary>The keys a class bound at <paramref name="prefix"/> reads: <c>n</c> for a list index, <c>&lt;id&gt;</c> for a dictionary key.</summary>
    private static IEnumerable<string> Keys(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.SetMethod!.IsPublic))
        {
            var key = prefix + ":" + property.Name;
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (t == typeof(string) || t.IsPrimitive || t.IsEnum || t == typeof(decimal))
            {
                yield return key;
            }
            else if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                foreach (var inner in Keys(t.GetGenericArguments()[1], key + ":<id>"))
                    yield return inner;
            }
            else if (typeof(IEnumerable).IsAssignableFrom(t) && t.IsGenericType)
            {
                var element = t.GetGenericArguments()[0];
                if (element == typeof(string))
                    yield return key;
                else
                {
                    foreach (var inner in Keys(element, key + ":n"))
                        yield return inner;
                }
            }
            else
            {
                foreach (var inner in Keys(t, key))
                    yield return inner;
            }
        }
    }

    /// <summary>Every options class of the app: a public type with a <c>const string Section</c>.</summary>
    private static IEnumerable<(Type Type, string Section)> OptionsClasses() =>
        typeof(AppEntry).Assembly.GetTypes()
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .Select(x => (x.Type, (string)x.Field!.GetRawConstantValue()!));

    [Fact]
    public void Every_bound_option_property_is_in_the_reference()
    {
        var reference = Reference();
        var classes = OptionsClasses().ToList();
        Assert.Contains(classes, c => c.Section == "App");
        Assert.Contains(classes, c => c.Section == "App:Telemetry");
        Assert.Contains(classes, c => c.Section == "App:ForwardedHeaders");
        // App:Ehrs:n:... and App:Evidence:... are reached through AppOptions; the reference says "n" for an index.
        var keys = classes.SelectMany(c => Keys(c.Type, c.Section)).Distinct().ToList();
        Assert.Contains("App:Ehrs:n:Backend:SigningKey", keys);
        var missing = keys.Where(k => !reference.Contains('`' + k, StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "Not in deploy/CONFIGURATION.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_key_read_by_name_is_in_the_reference()
    {
        var reference = Reference();
        var source = Path.Combine(RepositoryRoot.Find(), "src", "Rhizotomy.App");
        var keys = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .SelectMany(f => ReadByName().Matches(File.ReadAllText(f)).Select(m => m.Groups["key"].Value))
            .Distinct().ToList();
        Assert.Contains("App:Warmup:Enabled", keys);
        Assert.Contains("App:Templates:Folder", keys);
        var missing = keys.Where(k => !reference.Contains('`' + k + '`', StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "Not in deploy/CONFIGURATION.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_secret_setting_is_marked_secret()
    {
        var reference = Reference();
        string[] secrets =
        [
            "App:Redis", "App:DataProtectionCertificatePassword", "App:Ehrs:n:ClientSecret", "App:Ehrs:n:SigningKey",
            "App:Ehrs:n:Backend:SigningKey", "App:WriteBack:ConnectionString", "App:Audit:ConnectionString",
            "App:Telemetry:Otlp:Headers", "App:Telemetry:Prometheus:Token",
        ];
        foreach (var secret in secrets)
        {
            var row = reference.Split('\n').Single(l => l.StartsWith("| `" + secret + "` |", StringComparison.Ordinal));
            Assert.Contains("| **yes**", row, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex("(?:GetValue(?:<[^>]+>)?\\(|\\[)\"(?<key>App:[A-Za-z:]+)\"")]
    private static partial Regex ReadByName();
}

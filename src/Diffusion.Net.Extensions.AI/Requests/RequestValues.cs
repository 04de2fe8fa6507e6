using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Diffusion.Net.Extensions.AI.Requests;

/// <summary>
/// Typed reads of <c>AdditionalProperties</c>: a request deserialised from JSON carries <see cref="JsonElement"/>s, one
/// built in code carries CLR values, and both must read the same. Unknown keys are left alone (other middleware may use them).
/// </summary>
internal static class RequestValues
{
    public static string Name(string key) => $"AdditionalProperties[\"{key}\"]";

    public static bool Has(AdditionalPropertiesDictionary? properties, string key)
        => properties is not null && properties.TryGetValue(key, out var value) && value is not null && !(value is JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined });

    public static object? Raw(AdditionalPropertiesDictionary? properties, string key)
        => Has(properties, key) ? properties![key] : null;

    public static long? Integer(AdditionalPropertiesDictionary? properties, string key, long min, long max)
    {
        if (!Has(properties, key)) return null;
        object value = properties![key]!;
        long? parsed = value switch
        {
            long l => l,
            int i => i,
            short s => s,
            byte b => b,
            uint u => u,
            ulong ul when ul <= long.MaxValue => (long)ul,
            double d when d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
            float f when f == MathF.Floor(f) && Math.Abs(f) < 1e7 => (long)f,
            decimal m when m == decimal.Floor(m) && m >= long.MinValue && m <= long.MaxValue => (long)m,
            string text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) => l,
            JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out long l) => l,
            JsonElement { ValueKind: JsonValueKind.String } e when long.TryParse(e.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) => l,
            _ => null,
        };
        if (parsed is not { } v) throw new ImageGenerationRequestException(Name(key), $"expected an integer in [{min}, {max}]; got {Describe(value)}.");
        if (v < min || v > max) throw new ImageGenerationRequestException(Name(key), $"{v} is outside [{min}, {max}].");
        return v;
    }

    public static double? Number(AdditionalPropertiesDictionary? properties, string key, double min, double max, bool minExclusive = false)
    {
        if (!Has(properties, key)) return null;
        object value = properties![key]!;
        double? parsed = value switch
        {
            double d => d,
            float f => f,
            decimal m => (double)m,
            long l => l,
            int i => i,
            short s => s,
            byte b => b,
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
            JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
            JsonElement { ValueKind: JsonValueKind.String } e when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
            _ => null,
        };
        string range = string.Create(CultureInfo.InvariantCulture, $"{(minExclusive ? "(" : "[")}{min}, {max}]");
        if (parsed is not { } v) throw new ImageGenerationRequestException(Name(key), $"expected a number in {range}; got {Describe(value)}.");
        if (!double.IsFinite(v) || v < min || v > max || (minExclusive && v == min))
            throw new ImageGenerationRequestException(Name(key), string.Create(CultureInfo.InvariantCulture, $"{v} is outside {range}."));
        return v;
    }

    public static string? Text(AdditionalPropertiesDictionary? properties, string key)
    {
        if (!Has(properties, key)) return null;
        object value = properties![key]!;
        return value switch
        {
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            _ => throw new ImageGenerationRequestException(Name(key), $"expected a string; got {Describe(value)}."),
        };
    }

    /// <summary>The value's type (and, for short scalars, the value), never a long payload.</summary>
    public static string Describe(object value) => value switch
    {
        JsonElement e => $"a JSON {e.ValueKind.ToString().ToLowerInvariant()}",
        string s when s.Length <= 40 => $"the string \"{s}\"",
        string => "a long string",
        _ => $"a {value.GetType().Name}",
    };
}

using System.Globalization;

namespace Diffusion.Net.Samples.Cli;

/// <summary>
/// Option values read from text with messages that name the option: every valued option of these programs is declared
/// as a string and read here, because Spectre.Console.Cli's own conversion says only "Failed to convert 'x' to
/// Nullable`1", and gives an option left without its value the text "__default_command" under a default command.
/// </summary>
internal static class CliValues
{
    /// <summary>The placeholder Spectre.Console.Cli 0.57 hands an option given last without its value (under a default command).</summary>
    private const string DefaultCommandPlaceholder = "__default_command";

    /// <summary>The value, or null when the option was not given.</summary>
    /// <exception cref="ArgumentException">The option was given without a value.</exception>
    public static string? Text(string? raw, string option)
        => raw == DefaultCommandPlaceholder || raw is { Length: 0 } ? throw new ArgumentException($"{option} needs a value.") : raw;

    /// <summary>A whole number ≥ <paramref name="min"/>.</summary>
    public static int? Int(string? raw, string option, int min = 1)
    {
        if (Text(raw, option) is not { } text) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            throw new ArgumentException($"{option} takes a whole number; got '{text}'.");
        return value >= min ? value : throw new ArgumentException(min == 1 ? $"{option} must be positive; got {value}." : $"{option} must be at least {min}; got {value}.");
    }

    /// <summary>A 64-bit whole number (a seed).</summary>
    public static long? Long(string? raw, string option)
    {
        if (Text(raw, option) is not { } text) return null;
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value : throw new ArgumentException($"{option} takes a whole number; got '{text}'.");
    }

    /// <summary>A finite number (invariant culture: a dot for decimals, 2e-3 allowed).</summary>
    public static double? Double(string? raw, string option)
    {
        if (Text(raw, option) is not { } text) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value : throw new ArgumentException($"{option} takes a number; got '{text}'.");
    }

    /// <summary>One of <paramref name="allowed"/>.</summary>
    public static string? OneOf(string? raw, string option, params string[] allowed)
    {
        if (Text(raw, option) is not { } text) return null;
        return allowed.Contains(text, StringComparer.Ordinal) ? text : throw new ArgumentException($"Unknown {option} '{text}' ({string.Join(", ", allowed)}).");
    }

    /// <summary>An exception's message without .NET's " (Parameter 'x')" suffix, for a user who never saw that parameter.</summary>
    public static string Message(Exception e)
        => e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
}

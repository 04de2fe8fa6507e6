using System.Text.RegularExpressions;
using Diffusion.Net.Extensions.AI.Requests;

namespace Diffusion.Net.Extensions.AI.Mnist;

/// <summary>
/// Reads a digit from a prompt: <c>7</c>, <c>a 7</c>, <c>seven</c>, <c>a seven</c>, <c>the digit 7</c>,
/// <c>a handwritten 7</c>, <c>number seven</c> (any case, an optional final period). A null or blank prompt is the
/// null class: the unconditional model (CS180's "a high quality photo" for MNIST). Anything else is refused, so a typo
/// never silently becomes some other digit.
/// </summary>
internal static partial class MnistPrompt
{
    private static readonly string[] Words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>What the prompt grammar accepts, for error messages and docs.</summary>
    public const string Accepted = "a digit 0–9 as a numeral or an English word, optionally after 'a'/'an'/'the', 'handwritten', and 'digit'/'number' (e.g. \"7\", \"a 7\", \"seven\", \"the digit 7\"), or nothing for an unconditional digit";

    /// <summary>The digit, or null for the null class.</summary>
    /// <exception cref="ImageGenerationRequestException">The text is not a digit prompt.</exception>
    public static int? Parse(string? prompt, string property = "Prompt")
    {
        if (string.IsNullOrWhiteSpace(prompt)) return null;
        if (prompt.Length > 100) throw new ImageGenerationRequestException(property, $"the MNIST model reads one digit; a {prompt.Length}-character prompt is not one. Use {Accepted}.");
        var match = Grammar().Match(prompt.Trim());
        if (!match.Success)
            throw new ImageGenerationRequestException(property, $"\"{prompt.Trim()}\" is not a digit the class-conditioned MNIST model knows. Use {Accepted}.");
        string d = match.Groups["d"].Value.ToLowerInvariant();
        return d.Length == 1 ? d[0] - '0' : Array.IndexOf(Words, d);
    }

    [GeneratedRegex(@"^(?:(?:a|an|the)\s+)?(?:handwritten\s+)?(?:(?:digit|number)\s+)?(?<d>[0-9]|zero|one|two|three|four|five|six|seven|eight|nine)\.?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}

namespace Diffusion.Net.Extensions.AI.Requests;

/// <summary>
/// An image-generation request or its options cannot be served: a prompt the model cannot read, a size it cannot
/// make, an additional property of the wrong type or range, or an original image or mask that does not decode.
/// Thrown before any tensor work; <see cref="Property"/> names what to fix (<c>Prompt</c>, <c>ImageSize</c>,
/// <c>Count</c>, <c>AdditionalProperties["seed"]</c>, <c>OriginalImages[0]</c>, …), so a server can answer 400 with it.
/// </summary>
public sealed class ImageGenerationRequestException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="property">The request or option property at fault, as a user would write it.</param>
    /// <param name="problem">What is wrong and what is accepted.</param>
    /// <param name="inner">The underlying error (e.g. the image decoder's), if any.</param>
    public ImageGenerationRequestException(string property, string problem, Exception? inner = null)
        : base($"{property}: {problem}", property.StartsWith("Prompt", StringComparison.Ordinal) || property.StartsWith("OriginalImages", StringComparison.Ordinal) ? "request" : "options", inner)
    {
        Property = property;
        Problem = problem;
    }

    /// <summary>The property at fault, e.g. <c>Prompt</c> or <c>AdditionalProperties["steps"]</c>.</summary>
    public string Property { get; }

    /// <summary>What is wrong, without the property name.</summary>
    public string Problem { get; }
}

namespace Diffusion.Net.Extensions.AI;

/// <summary>
/// The keys this package reads from <c>ImageGenerationOptions.AdditionalProperties</c>. Values may be CLR values or the
/// <c>JsonElement</c>s a deserialised request carries; each is validated, and a wrong one raises
/// <see cref="Requests.ImageGenerationRequestException"/> naming the key.
/// </summary>
public static class DiffusionImageGeneratorProperties
{
    /// <summary>The seed of the run's generator (an integer ≥ 0); the same seed, request and options give the same images.</summary>
    public const string Seed = "seed";

    /// <summary>The number of sampler steps (an integer ≥ 1); it replaces the step count of the sampler in use.</summary>
    public const string Steps = "steps";

    /// <summary>The classifier-free guidance scale γ (a finite number ≥ 0; 1 = conditional only).</summary>
    public const string GuidanceScale = "guidance_scale";

    /// <summary>
    /// The sampler by name: for MNIST a <c>MnistSampler</c> name (<c>dpm++2m-10</c>, <c>ddpm</c>, <c>euler-20</c> on a
    /// flow model, …); for DeepFloyd IF <c>ddpm</c> (the stage's scheduler) or <c>dpm++2m</c>, each optionally <c>-N</c>.
    /// </summary>
    public const string Sampler = "sampler";

    /// <summary>
    /// How much of an original image is regenerated (SDEdit), in (0, 1]: the fraction of the noise schedule walked
    /// back from (1 = from pure noise, small = keep most of the original). Ignored without original images.
    /// </summary>
    public const string Strength = "strength";

    /// <summary>The negative prompt: the condition guidance steers away from (MNIST: a digit; IF: text).</summary>
    public const string NegativePrompt = "negative_prompt";

    /// <summary>
    /// An inpainting mask for the original images: a <c>DataContent</c> image (or its encoded bytes as <c>byte[]</c> /
    /// <c>ReadOnlyMemory&lt;byte&gt;</c>, or a base64 string); white (luminance ≥ 0.5) = regenerate, black = keep.
    /// It is resized to the model's size. With a mask the originals are inpainted instead of SDEdited.
    /// </summary>
    public const string Mask = "mask";

    /// <summary>
    /// MNIST only: a second digit that the image must read as through <see cref="AnagramView"/> (a CS180 §1.8 visual
    /// anagram). With prompt "6" and anagram prompt "9" the image reads as 6 upright and 9 upside down.
    /// </summary>
    public const string AnagramPrompt = "anagram_prompt";

    /// <summary>The view of <see cref="AnagramPrompt"/>: <c>rotate180</c> (default), <c>flip-vertical</c> or <c>flip-horizontal</c>.</summary>
    public const string AnagramView = "anagram_view";
}

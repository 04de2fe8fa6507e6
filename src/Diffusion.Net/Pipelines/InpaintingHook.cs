using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>
/// RePaint-style inpainting (Lugmayr et al. 2022; CS180 §1.7.2): after every step, the known region is replaced by
/// a freshly noised copy of the original at the level just reached,
/// x ← m ⊙ x + (1 − m) ⊙ (α x_orig + σ ε), with m = 1 where new content goes. On clean data the copy is the original
/// itself. α and σ are the process's (√ᾱ_t and √(1 − ᾱ_t) for DDPM, 1 − σ and σ for rectified flow, so the replacement
/// is (1 − t)·ε + t·x_orig in CS180's flow notation), in the sampler's scaling of the state.
/// </summary>
internal sealed class InpaintingHook : IStepHook
{
    /// <summary>Creates the hook. The tensors are not owned and must outlive the runs that use the hook.</summary>
    /// <param name="original">x_orig, [B or 1, C, H, W], in the model's range.</param>
    /// <param name="mask">[B or 1, 1 or C, H, W], 1 = generate, 0 = keep (values in [0, 1]).</param>
    public InpaintingHook(Tensor original, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(mask);
        if (original.dim() != 4) throw new ArgumentException($"The original must be [B, C, H, W]; got [{string.Join(", ", original.shape)}].", nameof(original));
        if (mask.dim() != 4) throw new ArgumentException($"The mask must be [B, 1, H, W] or [B, C, H, W]; got [{string.Join(", ", mask.shape)}].", nameof(mask));
        if (mask.shape[2] != original.shape[2] || mask.shape[3] != original.shape[3])
            throw new ArgumentException($"The mask is {mask.shape[2]}×{mask.shape[3]} but the original is {original.shape[2]}×{original.shape[3]}.", nameof(mask));
        if (mask.shape[1] != 1 && mask.shape[1] != original.shape[1])
            throw new ArgumentException($"The mask has {mask.shape[1]} channels; it needs 1 or {original.shape[1]}.", nameof(mask));
        Guard.AllFinite(original, nameof(original), "inpainting original");
        Guard.AllFinite(mask, nameof(mask), "inpainting mask");
        Original = original;
        Mask = mask;
    }

    /// <summary>x_orig.</summary>
    public Tensor Original { get; }

    /// <summary>m (1 = generate).</summary>
    public Tensor Mask { get; }

    /// <inheritdoc />
    public void ValidateShape(long[] stateShape)
    {
        ArgumentNullException.ThrowIfNull(stateShape);
        if (stateShape.Length != 4 || stateShape[1] != Original.shape[1] || stateShape[2] != Original.shape[2] || stateShape[3] != Original.shape[3])
            throw new ArgumentException($"Inpainting an original of shape [{string.Join(", ", Original.shape)}] needs a state of [B, {Original.shape[1]}, {Original.shape[2]}, {Original.shape[3]}]; got [{string.Join(", ", stateShape)}].");
        foreach (var (t, name) in new[] { (Original, "original"), (Mask, "mask") })
            if (t.shape[0] != 1 && t.shape[0] != stateShape[0])
                throw new ArgumentException($"The {name} has batch {t.shape[0]}; it needs 1 or {stateShape[0]}.");
    }

    /// <inheritdoc />
    public Tensor AfterStep(Tensor sample, NoiseLevel reached, PipelineRunContext context)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(context);
        var original = Original.to(sample.dtype, sample.device).expand_as(sample);
        var mask = Mask.to(sample.dtype, sample.device).expand_as(sample);
        Tensor known;
        if (reached.IsClean) known = reached.Alpha == 1 ? original : original * reached.Alpha;
        else
        {
            var noise = context.Noise.Next(sample.shape, sample.dtype, sample.device);
            known = ForwardProcess.AddNoise(reached, original.contiguous(), noise);
        }
        return mask * sample + (1 - mask) * known;
    }
}

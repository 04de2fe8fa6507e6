using Diffusion.Net.Guidance;
using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// A batch of conditioning information for a noise predictor: nothing, class labels, text embeddings, an image,
/// or a combination. Conditions reference tensors they do not own; batching operations create new ones.
/// </summary>
/// <remarks>
/// A condition of batch 1 broadcasts to any batch; <see cref="NullCondition"/> fits any batch. Conditions are
/// concatenated along the batch (see <see cref="Concat"/>) to run classifier-free guidance and several views in one
/// forward pass.
/// </remarks>
public abstract class Condition : IConditioning
{
    /// <summary>No conditioning (an unconditional model, or the null class of a class-conditional one).</summary>
    public static NullCondition None { get; } = new(null);

    /// <summary>Class labels, one per batch row; −1 marks the null class (a dropped condition).</summary>
    public static ClassCondition Classes(params int[] labels) => new(labels.Select(l => (long)l).ToArray());

    /// <summary>Text embeddings [B, L, D] with an optional attention mask [B, L] (1 = keep).</summary>
    public static TextCondition Text(Tensor embeddings, Tensor? attentionMask = null) => new(embeddings, attentionMask);

    /// <summary>Several kinds of condition at once (e.g. text plus a low-resolution image for super-resolution).</summary>
    public static CompositeCondition Combine(params Condition[] parts) => new(parts);

    /// <summary>The batch size, or null when the condition fits any batch.</summary>
    public abstract int? BatchSize { get; }

    /// <summary>This condition for a batch of <paramref name="batch"/> rows (batch-1 conditions are repeated).</summary>
    /// <exception cref="ArgumentException">The batch sizes are incompatible.</exception>
    public abstract Condition Repeat(int batch);

    /// <summary>
    /// The condition the unconditional branch of classifier-free guidance uses with this one: the null class for
    /// labels; the same image for image conditions. Text has no implicit null: pass the empty prompt's embedding.
    /// </summary>
    /// <exception cref="InvalidOperationException">This kind of condition has no implicit unconditional form.</exception>
    public abstract Condition Unconditional();

    /// <summary>Concatenates conditions along the batch; every part must have a definite batch size.</summary>
    /// <exception cref="ArgumentException">The parts cannot be batched together.</exception>
    public static Condition Concat(IReadOnlyList<Condition> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("Nothing to concatenate.", nameof(parts));
        if (parts.Count == 1) return parts[0];
        foreach (var p in parts)
        {
            ArgumentNullException.ThrowIfNull(p, nameof(parts));
            if (p.BatchSize is null) throw new ArgumentException($"A {p.GetType().Name} without a batch size cannot be concatenated; call Repeat(batch) first.", nameof(parts));
        }
        if (parts.All(p => p is NullCondition)) return new NullCondition(parts.Sum(p => p.BatchSize!.Value));
        if (parts.All(p => p is ClassCondition or NullCondition))
            return new ClassCondition(parts.SelectMany(p => p is ClassCondition c ? c.Labels : Enumerable.Repeat(-1L, p.BatchSize!.Value)).ToArray());
        if (parts.All(p => p is TextCondition)) return TextCondition.ConcatText(parts.Cast<TextCondition>().ToList());
        if (parts.All(p => p is ImageCondition)) return ImageCondition.ConcatImages(parts.Cast<ImageCondition>().ToList());
        if (parts.All(p => p is CompositeCondition)) return CompositeCondition.ConcatComposite(parts.Cast<CompositeCondition>().ToList());
        throw new ArgumentException(
            $"Conditions of kinds {string.Join(", ", parts.Select(p => p.GetType().Name).Distinct())} cannot be batched together.", nameof(parts));
    }

    /// <inheritdoc />
    public ModelPrediction Predict(INoisePredictor model, IGuidance guidance, Tensor sample, ModelCall call)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(guidance);
        ArgumentNullException.ThrowIfNull(sample);
        using var t = call.TimestepTensor(sample.shape[0], sample.device);
        return guidance.Guide(model, sample, t, Repeat((int)sample.shape[0]));
    }

    /// <summary>Throws unless a condition of <paramref name="own"/> rows can serve <paramref name="batch"/> rows.</summary>
    protected static void CheckRepeat(int? own, int batch, string kind)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (own is not null && own != 1 && own != batch)
            throw new ArgumentException($"A {kind} condition of batch {own} cannot serve a batch of {batch} (only batch 1 broadcasts).");
    }
}

using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>Text-encoder embeddings [B, L, D] (e.g. T5 prompt embeddings) with an optional attention mask [B, L].</summary>
public sealed class TextCondition : Condition
{
    /// <summary>Wraps the tensors (not owned).</summary>
    public TextCondition(Tensor embeddings, Tensor? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.dim() != 3) throw new ArgumentException($"Text embeddings must be [B, L, D]; got [{string.Join(", ", embeddings.shape)}].", nameof(embeddings));
        if (attentionMask is not null && (attentionMask.dim() != 2 || attentionMask.shape[0] != embeddings.shape[0] || attentionMask.shape[1] != embeddings.shape[1]))
            throw new ArgumentException($"The attention mask must be [B, L] = [{embeddings.shape[0]}, {embeddings.shape[1]}]; got [{string.Join(", ", attentionMask.shape)}].", nameof(attentionMask));
        Guard.NonEmpty(embeddings, nameof(embeddings), "text embedding");
        Guard.AllFinite(embeddings, nameof(embeddings), "text embedding");
        Embeddings = embeddings;
        AttentionMask = attentionMask;
    }

    /// <summary>[B, L, D].</summary>
    public Tensor Embeddings { get; }

    /// <summary>[B, L] with 1 = keep, or null (all kept).</summary>
    public Tensor? AttentionMask { get; }

    /// <inheritdoc />
    public override int? BatchSize => (int)Embeddings.shape[0];

    /// <inheritdoc />
    public override Condition Repeat(int batch)
    {
        CheckRepeat(BatchSize, batch, "text");
        if (BatchSize == batch) return this;
        return new TextCondition(Embeddings.expand(batch, -1, -1), AttentionMask?.expand(batch, -1));
    }

    /// <inheritdoc />
    public override Condition Unconditional()
        => throw new InvalidOperationException(
            "Text conditions have no implicit unconditional form: pass the empty prompt's embedding, e.g. Guide.ClassifierFree(7, prompts[\"\"]).");

    internal static TextCondition ConcatText(IReadOnlyList<TextCondition> parts)
    {
        var l = parts[0].Embeddings.shape[1];
        var d = parts[0].Embeddings.shape[2];
        foreach (var p in parts)
            if (p.Embeddings.shape[1] != l || p.Embeddings.shape[2] != d)
                throw new ArgumentException($"Text embeddings of shapes [.., {l}, {d}] and [.., {p.Embeddings.shape[1]}, {p.Embeddings.shape[2]}] cannot be batched.");
        var embeddings = cat(parts.Select(p => p.Embeddings).ToArray(), 0);
        Tensor? mask = null;
        if (parts.Any(p => p.AttentionMask is not null))
            mask = cat(parts.Select(p => p.AttentionMask ?? ones(p.Embeddings.shape[0], l, ScalarType.Int64, p.Embeddings.device)).ToArray(), 0);
        return new TextCondition(embeddings, mask);
    }

    /// <inheritdoc />
    public override string ToString() => $"text[{string.Join(", ", Embeddings.shape)}]";
}

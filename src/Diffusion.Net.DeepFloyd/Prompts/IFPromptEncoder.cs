using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Prompts;

/// <summary>
/// Turns prompt strings into the <see cref="TextCondition"/> the IF stages take: with the T5 text encoder when it is
/// loaded, otherwise from a prompt-embedding store (<see cref="PromptEmbeddings"/>, e.g. CS180's
/// <c>prompt_embeds_dict.pth</c>), otherwise a <see cref="NotSupportedException"/> naming both ways to enable it.
/// </summary>
/// <remarks>
/// A store lookup tries the prompt as given, then as the IF pipelines preprocess it (lower case, trimmed), which is
/// the text T5 would have seen. The returned tensors are new and belong to the caller: dispose the condition's
/// <see cref="TextCondition.Embeddings"/>, or call inside a <c>torch.NewDisposeScope()</c>. Concurrent calls are safe
/// as long as nobody adds to the store meanwhile.
/// </remarks>
public sealed class IFPromptEncoder
{
    private const int ListedPrompts = 20;

    /// <summary>Creates an encoder from a T5 text encoder, a store, or both (T5 wins); either may be null.</summary>
    public IFPromptEncoder(T5TextEncoder? textEncoder, PromptEmbeddings? embeddings = null)
    {
        TextEncoder = textEncoder;
        Embeddings = embeddings;
    }

    /// <summary>Creates an encoder from a stage's text encoder (if it was loaded) and an optional store.</summary>
    public IFPromptEncoder(IDeepFloydModel model, PromptEmbeddings? embeddings = null)
        : this((model ?? throw new ArgumentNullException(nameof(model))).TextEncoder, embeddings)
    {
    }

    /// <summary>The T5 encoder, or null.</summary>
    public T5TextEncoder? TextEncoder { get; }

    /// <summary>The prompt-embedding store, or null.</summary>
    public PromptEmbeddings? Embeddings { get; }

    /// <summary>Whether <paramref name="prompt"/> can be encoded: T5 is loaded, or the store holds it.</summary>
    public bool CanEncode(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return TextEncoder is not null || FindInStore(prompt) is not null;
    }

    /// <summary>Encodes one prompt to [1, L, D] (T5: [1, 77, 4096] for the published stages).</summary>
    /// <exception cref="NotSupportedException">No T5 encoder is loaded and the store (if any) lacks the prompt.</exception>
    public TextCondition Encode(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return Encode([prompt]);
    }

    /// <summary>Encodes prompts to one batch [N, L, D], in order.</summary>
    /// <exception cref="ArgumentException">The list is empty or holds a null.</exception>
    /// <exception cref="NotSupportedException">No T5 encoder is loaded and the store (if any) lacks one of the prompts.</exception>
    public TextCondition Encode(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("At least one prompt is needed.", nameof(prompts));
        for (int i = 0; i < prompts.Count; i++)
            if (prompts[i] is null) throw new ArgumentException($"Prompt {i} is null.", nameof(prompts));
        if (TextEncoder is not null) return new TextCondition(TextEncoder.Encode(prompts));
        if (Embeddings is null) throw NoEncoder(prompts[0]);
        var keys = new string[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
            keys[i] = FindInStore(prompts[i]) ?? throw NotInStore(prompts[i], Embeddings);
        // cat copies even a single entry, so the caller owns the result whether it came from T5 or the store.
        return new TextCondition(cat(keys.Select(Embeddings.Get).ToArray(), 0));
    }

    private string? FindInStore(string prompt)
    {
        if (Embeddings is null) return null;
        if (Embeddings.Contains(prompt)) return prompt;
        var preprocessed = T5Tokenizer.PreprocessForPipeline(prompt);
        return Embeddings.Contains(preprocessed) ? preprocessed : null;
    }

    /// <summary>The error for a prompt string where neither T5 nor a store is available.</summary>
    internal static NotSupportedException NoEncoder(string prompt)
        => new($"The prompt \"{Shorten(prompt)}\" cannot be encoded: the T5 text encoder is not loaded and there is no prompt-embedding store. " +
               "Load the encoder (DeepFloydOptions.LoadTextEncoder = true, or DeepFloydServiceOptions.LoadTextEncoder with AddDeepFloyd) " +
               "or give precomputed embeddings (a PromptEmbeddings store, or DeepFloydServiceOptions.EmbeddingsPath).");

    /// <summary>The error for a prompt the store lacks while T5 is not loaded.</summary>
    internal static NotSupportedException NotInStore(string prompt, PromptEmbeddings store)
    {
        var available = store.Prompts.Take(ListedPrompts).Select(p => $"\"{p}\"");
        var more = store.Count > ListedPrompts ? $", … ({store.Count} in all)" : "";
        return new NotSupportedException(
            $"The prompt \"{Shorten(prompt)}\" is not in the prompt-embedding store and the T5 text encoder is not loaded " +
            $"(DeepFloydOptions.LoadTextEncoder = true, or DeepFloydServiceOptions.LoadTextEncoder). Available: {string.Join(", ", available)}{more}.");
    }

    private static string Shorten(string prompt) => prompt.Length <= 80 ? prompt : prompt[..77] + "…";
}

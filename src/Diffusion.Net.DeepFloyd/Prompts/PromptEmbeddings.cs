using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.IO;
using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Prompts;

/// <summary>
/// Named prompt embeddings (each [1, L, D], e.g. [1, 77, 4096] T5 states), with the unconditional <c>""</c> entry
/// that classifier-free guidance needs. Stored as safetensors keyed by the prompt text; CS180's
/// <c>prompt_embeds_dict.pth</c> can be imported without executing any pickle code.
/// </summary>
public sealed class PromptEmbeddings : IDisposable
{
    private readonly Dictionary<string, Tensor> _embeddings = new(StringComparer.Ordinal);

    /// <summary>The prompts held.</summary>
    public IReadOnlyCollection<string> Prompts => _embeddings.Keys;

    /// <summary>The number of prompts.</summary>
    public int Count => _embeddings.Count;

    /// <summary>The embedding of <paramref name="prompt"/> as a condition (the store keeps ownership).</summary>
    /// <exception cref="KeyNotFoundException">The prompt is absent; the message lists what is available.</exception>
    public TextCondition this[string prompt] => new(Get(prompt));

    /// <summary>The embedding tensor [1, L, D] of <paramref name="prompt"/> (owned by the store).</summary>
    public Tensor Get(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (_embeddings.TryGetValue(prompt, out var t)) return t;
        throw new KeyNotFoundException($"No embedding for the prompt \"{prompt}\". Available: {string.Join(", ", _embeddings.Keys.Select(k => $"\"{k}\""))}.");
    }

    /// <summary>Whether <paramref name="prompt"/> is present.</summary>
    public bool Contains(string prompt) => _embeddings.ContainsKey(prompt);

    /// <summary>Several prompts as one batch [N, L, D].</summary>
    public TextCondition Batch(params string[] prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Length == 0) throw new ArgumentException("At least one prompt is needed.", nameof(prompts));
        return new TextCondition(cat(prompts.Select(Get).ToArray(), 0));
    }

    /// <summary>Adds or replaces an embedding ([1, L, D] or [L, D], copied to float32 CPU).</summary>
    public void Add(string prompt, Tensor embedding)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(embedding);
        if (!embedding.is_floating_point()) throw new ArgumentException($"The embedding of \"{prompt}\" is {embedding.dtype}, not floating point.", nameof(embedding));
        var e = embedding.dim() == 2 ? embedding.unsqueeze(0) : embedding;
        if (e.dim() != 3 || e.shape[0] != 1)
            throw new ArgumentException($"The embedding of \"{prompt}\" must be [1, L, D]; got [{string.Join(", ", embedding.shape)}].", nameof(embedding));
        var first = _embeddings.Values.FirstOrDefault();
        if (first is not null && (first.shape[1] != e.shape[1] || first.shape[2] != e.shape[2]))
            throw new ArgumentException($"The embedding of \"{prompt}\" is [{string.Join(", ", e.shape)}]; the others are [{string.Join(", ", first.shape)}].", nameof(embedding));
        var copy = e.to(ScalarType.Float32, CPU, copy: true).DetachFromDisposeScope();
        if (_embeddings.Remove(prompt, out var old)) old.Dispose();
        _embeddings[prompt] = copy;
    }

    /// <summary>Reads a store written by <see cref="Save"/>.</summary>
    public static PromptEmbeddings Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var store = new PromptEmbeddings();
        try
        {
            foreach (var name in file.Tensors.Keys)
            {
                using var t = file.Read(name, ScalarType.Float32);
                store.Add(name, t);
            }
            return store;
        }
        catch (ArgumentException e)
        {
            store.Dispose();
            throw new SafetensorsFormatException(path, e.Message, e);
        }
    }

    /// <summary>Writes the store atomically as safetensors keyed by prompt text.</summary>
    public void Save(string path) => SafetensorsWriter.Save(path, _embeddings, new Dictionary<string, string> { ["format"] = "pt", ["content"] = "prompt embeddings" });

    /// <summary>
    /// Imports CS180's <c>prompt_embeds_dict.pth</c> (a <c>torch.save</c>d dict of prompt → tensor) with a restricted
    /// reader that understands only dicts, strings and tensors: any other object in the pickle is refused.
    /// </summary>
    /// <param name="path">The <c>.pth</c> file.</param>
    /// <param name="limits">Budgets for the pickle and its tensors (default <see cref="InputLimits.Default"/>).</param>
    /// <exception cref="TorchFileFormatException">The file is not such a dict, uses anything else, is damaged or exceeds a budget.</exception>
    public static PromptEmbeddings ImportPth(string path, InputLimits? limits = null)
    {
        var tensors = TorchPickleReader.ReadTensorDictionary(path, limits);
        var store = new PromptEmbeddings();
        try
        {
            foreach (var (name, t) in tensors)
            {
                store.Add(name, t);
                t.Dispose();
            }
            return store;
        }
        catch (ArgumentException e)
        {
            store.Dispose();
            foreach (var (_, t) in tensors) t.Dispose();
            throw new TorchFileFormatException(path, e.Message, e);
        }
    }

    /// <summary>Encodes prompts with the T5 encoder (always including the unconditional "").</summary>
    public static PromptEmbeddings Encode(T5TextEncoder encoder, IEnumerable<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(prompts);
        var list = prompts.Append("").Distinct(StringComparer.Ordinal).ToList();
        var store = new PromptEmbeddings();
        using var embeddings = encoder.Encode(list);
        for (int i = 0; i < list.Count; i++)
        {
            using var row = embeddings.narrow(0, i, 1);
            store.Add(list[i], row);
        }
        return store;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _embeddings.Values) t.Dispose();
        _embeddings.Clear();
    }
}

using static TorchSharp.torch;

namespace Diffusion.Net.IO;

/// <summary>
/// Loads and saves a module's state dict by name with full validation. TorchSharp's own <c>load_state_dict</c>
/// matches names but not shapes (a wrong shape may broadcast silently), so every name and shape is checked here
/// first, and nothing is loaded unless everything matches.
/// </summary>
public static class ModuleWeights
{
    /// <summary>
    /// Copies every parameter and persistent buffer of <paramref name="module"/> from <paramref name="source"/>,
    /// converting dtypes as needed, one tensor at a time (no second full copy of the weights).
    /// </summary>
    /// <param name="module">The destination network.</param>
    /// <param name="source">The weights.</param>
    /// <param name="aliases">Alternative source names to try for a module name (e.g. tied embeddings), in order.</param>
    /// <param name="ignoreUnexpected">Source names that may be present without a destination.</param>
    /// <exception cref="WeightsMismatchException">Some names are missing, unexpected, or of the wrong shape.</exception>
    public static void Load(nn.Module module, ITensorSource source,
        IReadOnlyDictionary<string, string[]>? aliases = null, Func<string, bool>? ignoreUnexpected = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        var destination = module.state_dict();
        var plan = new List<(string Source, Tensor Destination)>();
        var missing = new List<string>();
        var misshaped = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in destination)
        {
            string? found = source.Tensors.ContainsKey(name) ? name : null;
            if (found is null && aliases is not null && aliases.TryGetValue(name, out var alternatives))
                found = alternatives.FirstOrDefault(source.Tensors.ContainsKey);
            if (found is null)
            {
                missing.Add(name);
                continue;
            }
            used.Add(found);
            var info = source.Tensors[found];
            if (!info.Shape.SequenceEqual(tensor.shape))
            {
                misshaped.Add($"{name}: expected [{string.Join(", ", tensor.shape)}] but found {info.ShapeText}");
                continue;
            }
            plan.Add((found, tensor));
        }
        // A source name that serves as an alias target counts as used, as do names the caller allows.
        var unexpected = source.Tensors.Keys
            .Where(n => !used.Contains(n) && !(aliases?.Values.Any(a => a.Contains(n)) ?? false) && !(ignoreUnexpected?.Invoke(n) ?? false))
            .Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || misshaped.Count > 0)
            throw new WeightsMismatchException(source.Description, missing, unexpected, misshaped);

        using var noGrad = no_grad();
        foreach (var (sourceName, tensor) in plan) source.ReadInto(sourceName, tensor);
    }

    /// <summary>Loads a module from one safetensors file; see <see cref="Load(nn.Module, ITensorSource, IReadOnlyDictionary{string, string[]}?, Func{string, bool}?)"/>.</summary>
    public static void Load(nn.Module module, string safetensorsPath)
    {
        using var file = SafetensorsFile.Open(safetensorsPath);
        Load(module, file);
    }

    /// <summary>Saves every parameter and persistent buffer of <paramref name="module"/> atomically as safetensors.</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        SafetensorsWriter.Save(path, module.state_dict(), metadata);
    }
}

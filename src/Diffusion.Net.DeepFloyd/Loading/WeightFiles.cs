using Diffusion.Net.IO;

namespace Diffusion.Net.DeepFloyd.Loading;

/// <summary>Finds a component's weights in the diffusers / transformers naming scheme.</summary>
internal static class WeightFiles
{
    /// <summary>
    /// Opens <c>{baseName}[.{variant}].safetensors</c> or its sharded index
    /// (<c>{baseName}.safetensors.index[.{variant}].json</c>) in <paramref name="folder"/>.
    /// </summary>
    public static ITensorSource Open(string folder, string baseName, string? variant)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The component folder '{folder}' does not exist.");
        foreach (var v in variant is null ? new string?[] { null, "fp16" } : [variant])
        {
            var single = Path.Combine(folder, v is null ? $"{baseName}.safetensors" : $"{baseName}.{v}.safetensors");
            if (File.Exists(single)) return SafetensorsFile.Open(single);
            var index = Path.Combine(folder, v is null ? $"{baseName}.safetensors.index.json" : $"{baseName}.safetensors.index.{v}.json");
            if (File.Exists(index)) return ShardedSafetensors.Open(index);
        }
        var present = Directory.GetFiles(folder).Select(Path.GetFileName).Order().ToList();
        var pickles = present.Where(f => f!.EndsWith(".bin", StringComparison.Ordinal) || f.EndsWith(".pt", StringComparison.Ordinal) || f.EndsWith(".ckpt", StringComparison.Ordinal)).ToList();
        var hint = pickles.Count > 0 ? $" Only pickled weights ({string.Join(", ", pickles)}) are present; they are not loaded (pickle can run code). Download the .safetensors files." : "";
        throw new FileNotFoundException(
            $"No {baseName}{(variant is null ? "" : "." + variant)}.safetensors (or sharded index) in '{folder}'. Present: {(present.Count == 0 ? "nothing" : string.Join(", ", present))}.{hint}");
    }
}

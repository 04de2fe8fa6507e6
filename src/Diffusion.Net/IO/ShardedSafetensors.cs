using System.Text.Json;
using static TorchSharp.torch;

namespace Diffusion.Net.IO;

/// <summary>
/// A checkpoint split over several safetensors files with a <c>*.index.json</c> that maps every tensor name to
/// its shard (the HuggingFace layout). Shard names must be plain file names beside the index; every mapped tensor
/// must be in its shard, and no tensor may appear in two shards.
/// </summary>
public sealed class ShardedSafetensors : ITensorSource
{
    private readonly Dictionary<string, SafetensorsFile> _owner;
    private readonly List<SafetensorsFile> _files;

    private ShardedSafetensors(string indexPath, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner)
    {
        IndexPath = indexPath;
        _files = files;
        _owner = owner;
        Tensors = owner.ToDictionary(kv => kv.Key, kv => kv.Value.Tensors[kv.Key], StringComparer.Ordinal);
    }

    /// <summary>The index file.</summary>
    public string IndexPath { get; }

    /// <inheritdoc />
    public string Description => IndexPath;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, SafetensorInfo> Tensors { get; }

    /// <summary>Opens the index and every shard it names, validating all headers.</summary>
    /// <exception cref="FileNotFoundException">The index or a shard is missing.</exception>
    /// <exception cref="SafetensorsFormatException">The index or a shard is malformed or inconsistent.</exception>
    public static ShardedSafetensors Open(string indexPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(indexPath);
        if (!File.Exists(indexPath)) throw new FileNotFoundException($"Shard index '{indexPath}' does not exist.", indexPath);
        var indexBytes = UntrustedFile.ReadAllBytes(indexPath, 64L * 1024 * 1024, problem => new SafetensorsFormatException(indexPath, problem));
        var directory = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(indexBytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var weightMap)
                || weightMap.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(indexPath, "the index has no \"weight_map\" object");
            foreach (var entry in weightMap.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new SafetensorsFormatException(indexPath, $"weight_map entry '{entry.Name}' is not a file name");
                var file = entry.Value.GetString()!;
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                    throw new SafetensorsFormatException(indexPath, $"weight_map entry '{entry.Name}' names '{file}', which is not a plain file name beside the index");
                if (!map.TryAdd(entry.Name, file))
                    throw new SafetensorsFormatException(indexPath, $"weight_map lists '{entry.Name}' twice");
            }
        }
        catch (JsonException)
        {
            throw new SafetensorsFormatException(indexPath, "the index is not valid JSON");
        }
        catch (InvalidOperationException)
        {
            throw new SafetensorsFormatException(indexPath, "the index has a name that is not valid Unicode");
        }

        var files = new List<SafetensorsFile>();
        try
        {
            var byName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var shard in map.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var file = SafetensorsFile.Open(Path.Combine(directory, shard));
                files.Add(file);
                byName[shard] = file;
            }
            var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (tensor, shard) in map)
            {
                if (!byName[shard].Tensors.ContainsKey(tensor))
                    throw new SafetensorsFormatException(indexPath, $"the index places '{tensor}' in '{shard}', which does not contain it");
                owner[tensor] = byName[shard];
            }
            foreach (var file in files)
            {
                foreach (var name in file.Tensors.Keys)
                {
                    if (!owner.TryGetValue(name, out var o))
                        throw new SafetensorsFormatException(indexPath, $"shard '{Path.GetFileName(file.Path)}' holds '{name}', which the index does not list");
                    if (!ReferenceEquals(o, file))
                        throw new SafetensorsFormatException(indexPath, $"'{name}' appears in more than one shard");
                }
            }
            return new ShardedSafetensors(indexPath, files, owner);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public Tensor Read(string name, ScalarType? dtype = null) => Owner(name).Read(name, dtype);

    /// <inheritdoc />
    public void ReadInto(string name, Tensor destination) => Owner(name).ReadInto(name, destination);

    /// <summary>Closes every shard.</summary>
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }

    private SafetensorsFile Owner(string name)
        => _owner.TryGetValue(name, out var f) ? f : throw new KeyNotFoundException($"'{IndexPath}' has no tensor named '{name}'.");
}

using System.Text.Json;
using Diffusion.Net.IO;

namespace Diffusion.Net.DeepFloyd.Config;

/// <summary>Typed reads of a diffusers/transformers config.json, with a <see cref="ModelConfigException"/> naming the key.</summary>
internal sealed class JsonConfig
{
    private readonly JsonElement _root;

    private JsonConfig(JsonElement root, string source)
    {
        _root = root;
        Source = source;
    }

    public string Source { get; }

    public static JsonConfig Load(string path, InputLimits? limits = null)
    {
        limits ??= InputLimits.Default;
        if (!File.Exists(path)) throw new FileNotFoundException($"Config '{path}' does not exist.", path);
        var bytes = UntrustedFile.ReadAllBytes(path, limits.MaxConfigBytes, problem => new ModelConfigException(path, null, problem));
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ModelConfigException(path, null, "the config is not a JSON object");
            return new JsonConfig(doc.RootElement.Clone(), path);
        }
        catch (JsonException e)
        {
            // Not kept as the inner exception: System.Text.Json quotes the offending character.
            throw new ModelConfigException(path, null, $"not valid JSON (line {(e.LineNumber ?? 0) + 1})");
        }
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string key, int? fallback, int min, int max)
    {
        int v = Int(key, fallback);
        return v >= min && v <= max ? v : throw new ModelConfigException(Source, key, $"{v} is outside [{min}, {max}]");
    }

    /// <summary>A finite number greater than <paramref name="exclusiveMin"/> and at most <paramref name="max"/>.</summary>
    public double Double(string key, double? fallback, double exclusiveMin, double max)
    {
        double v = Double(key, fallback);
        return double.IsFinite(v) && v > exclusiveMin && v <= max ? v : throw new ModelConfigException(Source, key, $"must lie in ({exclusiveMin}, {max}]");
    }

    private static string Kind(JsonElement v) => JsonKinds.Describe(v);

    public bool Has(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public int Int(string key, int? fallback = null)
    {
        if (!_root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
            return fallback ?? throw new ModelConfigException(Source, key, "is required");
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw new ModelConfigException(Source, key, $"expected an integer; got {Kind(v)}");
    }

    public int? IntOrNull(string key) => Has(key) ? Int(key) : null;

    public double Double(string key, double? fallback = null)
    {
        if (!_root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
            return fallback ?? throw new ModelConfigException(Source, key, "is required");
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new ModelConfigException(Source, key, $"expected a number; got {Kind(v)}");
    }

    public bool Bool(string key, bool fallback)
    {
        if (!_root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw new ModelConfigException(Source, key, $"expected true or false; got {Kind(v)}");
    }

    public string? String(string key, string? fallback = null)
    {
        if (!_root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind == JsonValueKind.String ? Text(v, key) : throw new ModelConfigException(Source, key, $"expected a string; got {Kind(v)}");
    }

    /// <summary>System.Text.Json refuses invalid UTF-8 and unpaired surrogate escapes only when a string is read.</summary>
    private string Text(JsonElement v, string key)
    {
        try { return v.GetString()!; }
        catch (InvalidOperationException e) { throw new ModelConfigException(Source, key, "the string is not valid Unicode", e); }
    }

    public int[] IntList(string key, int count)
    {
        if (!_root.TryGetProperty(key, out var v)) throw new ModelConfigException(Source, key, "is required");
        if (v.ValueKind == JsonValueKind.Number) return Enumerable.Repeat(Int(key), count).ToArray();
        if (v.ValueKind != JsonValueKind.Array) throw new ModelConfigException(Source, key, $"expected an integer or a list; got {Kind(v)}");
        var list = v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i) ? i : throw new ModelConfigException(Source, key, "expected integers")).ToArray();
        if (count > 0 && list.Length != count) throw new ModelConfigException(Source, key, $"has {list.Length} entries; {count} expected (one per block)");
        return list;
    }

    public string[] StringList(string key)
    {
        if (!_root.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.Array) throw new ModelConfigException(Source, key, "expected a list of strings");
        return v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? Text(e, key) : throw new ModelConfigException(Source, key, "expected strings")).ToArray();
    }
}

using static TorchSharp.torch;

namespace Diffusion.Net.IO;

/// <summary>The mapping between safetensors dtype names and TorchSharp scalar types.</summary>
internal static class SafetensorsDTypes
{
    private static readonly (string Name, ScalarType Type, int Size)[] Table =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>The scalar type for a safetensors dtype name, or null when it is unknown or unsupported.</summary>
    public static ScalarType? Parse(string name)
    {
        foreach (var row in Table) if (row.Name == name) return row.Type;
        return null;
    }

    /// <summary>The safetensors dtype name of <paramref name="type"/>.</summary>
    /// <exception cref="NotSupportedException">The type cannot be stored.</exception>
    public static string Name(ScalarType type)
    {
        foreach (var row in Table) if (row.Type == type) return row.Name;
        throw new NotSupportedException($"Tensors of type {type} cannot be stored in safetensors by this library.");
    }

    /// <summary>Bytes per element of <paramref name="type"/>.</summary>
    public static int ElementSize(ScalarType type)
    {
        foreach (var row in Table) if (row.Type == type) return row.Size;
        throw new NotSupportedException($"Tensors of type {type} are not supported.");
    }
}

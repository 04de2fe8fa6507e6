using TorchSharp;

namespace Diffusion.Net.IO;

/// <summary>One tensor's entry in a safetensors header: dtype, shape and where its bytes lie in the data section.</summary>
/// <param name="Name">The tensor's key.</param>
/// <param name="DType">The stored element type.</param>
/// <param name="Shape">The stored shape (row-major).</param>
/// <param name="Begin">Offset of the first byte, relative to the start of the data section.</param>
/// <param name="End">Offset one past the last byte.</param>
public sealed record SafetensorInfo(string Name, torch.ScalarType DType, long[] Shape, long Begin, long End)
{
    /// <summary>The number of elements (the product of <see cref="Shape"/>).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The number of bytes the tensor occupies.</summary>
    public long ByteLength => End - Begin;

    /// <summary>The shape written as <c>[a, b, c]</c>, for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

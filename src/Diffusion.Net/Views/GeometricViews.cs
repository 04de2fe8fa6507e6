using static TorchSharp.torch;

namespace Diffusion.Net.Views;

/// <summary>The identity view.</summary>
internal sealed class IdentityView : IView
{
    /// <inheritdoc />
    public string Name => "identity";
    /// <inheritdoc />
    public Tensor Apply(Tensor sample) => Check(sample).alias();
    /// <inheritdoc />
    public Tensor Invert(Tensor prediction) => Check(prediction).alias();
    /// <inheritdoc />
    public Tensor InvertVariance(Tensor variance) => Check(variance).alias();

    internal static Tensor Check(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 4) throw new ArgumentException($"Views act on [B, C, H, W] tensors; got [{string.Join(", ", t.shape)}].");
        return t;
    }
}

/// <summary>Flip upside down (along the height axis): CS180's anagram view (§1.8). Its own inverse.</summary>
internal sealed class FlipVerticalView : IView
{
    /// <inheritdoc />
    public string Name => "flip vertical";
    /// <inheritdoc />
    public Tensor Apply(Tensor sample) => IdentityView.Check(sample).flip(2);
    /// <inheritdoc />
    public Tensor Invert(Tensor prediction) => IdentityView.Check(prediction).flip(2);
    /// <inheritdoc />
    public Tensor InvertVariance(Tensor variance) => IdentityView.Check(variance).flip(2);
}

/// <summary>Mirror left-right (along the width axis). Its own inverse.</summary>
internal sealed class FlipHorizontalView : IView
{
    /// <inheritdoc />
    public string Name => "flip horizontal";
    /// <inheritdoc />
    public Tensor Apply(Tensor sample) => IdentityView.Check(sample).flip(3);
    /// <inheritdoc />
    public Tensor Invert(Tensor prediction) => IdentityView.Check(prediction).flip(3);
    /// <inheritdoc />
    public Tensor InvertVariance(Tensor variance) => IdentityView.Check(variance).flip(3);
}

/// <summary>Rotation by a multiple of 90° counter-clockwise (torch.rot90 on H, W); 90° and 270° need square images.</summary>
internal sealed class RotationView : IView
{
    /// <summary>Creates the view.</summary>
    /// <param name="degrees">90, 180 or 270.</param>
    public RotationView(int degrees)
    {
        if (degrees is not (90 or 180 or 270)) throw new ArgumentOutOfRangeException(nameof(degrees), degrees, "Rotations are 90, 180 or 270 degrees.");
        Degrees = degrees;
    }

    /// <summary>The rotation angle.</summary>
    public int Degrees { get; }

    /// <inheritdoc />
    public string Name => $"rotate {Degrees}°";
    /// <inheritdoc />
    public Tensor Apply(Tensor sample) => Rotate(sample, Degrees / 90);
    /// <inheritdoc />
    public Tensor Invert(Tensor prediction) => Rotate(prediction, -Degrees / 90);
    /// <inheritdoc />
    public Tensor InvertVariance(Tensor variance) => Rotate(variance, -Degrees / 90);

    private Tensor Rotate(Tensor t, int quarterTurns)
    {
        IdentityView.Check(t);
        if (Degrees != 180 && t.shape[2] != t.shape[3])
            throw new ArgumentException($"A {Degrees}° rotation view needs square images; got {t.shape[2]}×{t.shape[3]}.");
        return t.rot90(quarterTurns, (2, 3));
    }
}

/// <summary>Negation (x ↦ −x): a colour-inversion anagram. Variances are unsigned and pass unchanged.</summary>
internal sealed class NegateView : IView
{
    /// <inheritdoc />
    public string Name => "negate";
    /// <inheritdoc />
    public Tensor Apply(Tensor sample) => IdentityView.Check(sample).neg();
    /// <inheritdoc />
    public Tensor Invert(Tensor prediction) => IdentityView.Check(prediction).neg();
    /// <inheritdoc />
    public Tensor InvertVariance(Tensor variance) => IdentityView.Check(variance).alias();
}

/// <summary>
/// A jigsaw-like view: the image is cut into square patches on a grid, and patch i of the view is patch
/// <c>permutation[i]</c> of the sample (row-major patch order). The inverse applies the inverse permutation.
/// </summary>
internal sealed class PatchPermutationView : IView
{
    private readonly int[] _permutation;
    private readonly int[] _inverse;

    /// <summary>Creates the view.</summary>
    /// <param name="patchSize">The side of a square patch, in pixels; it must divide the image sides.</param>
    /// <param name="permutation">A permutation of 0 … n − 1, n being the number of patches.</param>
    public PatchPermutationView(int patchSize, IReadOnlyList<int> permutation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(patchSize, 1);
        ArgumentNullException.ThrowIfNull(permutation);
        var sorted = permutation.Order().ToArray();
        if (sorted.Length == 0 || sorted.Where((v, i) => v != i).Any())
            throw new ArgumentException("The permutation must contain each of 0 … n − 1 exactly once.", nameof(permutation));
        PatchSize = patchSize;
        _permutation = permutation.ToArray();
        _inverse = new int[_permutation.Length];
        for (int i = 0; i < _permutation.Length; i++) _inverse[_permutation[i]] = i;
    }

    /// <summary>A random permutation from a seeded generator, for a grid of <paramref name="patchesPerSide"/>².</summary>
    public static PatchPermutationView Random(int patchSize, int patchesPerSide, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(patchesPerSide, 1);
        using var p = randperm(patchesPerSide * patchesPerSide, generator: generator);
        return new PatchPermutationView(patchSize, p.data<long>().Select(v => (int)v).ToArray());
    }

    /// <summary>The patch side.</summary>
    public int PatchSize { get; }

    /// <summary>The permutation.</summary>
    public IReadOnlyList<int> Permutation => _permutation;

    /// <inheritdoc />
    public string Name => $"patch permutation {PatchSize}px";
    /// <inheritdoc />
    public Tensor Apply(Tensor sample) => Permute(sample, _permutation);
    /// <inheritdoc />
    public Tensor Invert(Tensor prediction) => Permute(prediction, _inverse);
    /// <inheritdoc />
    public Tensor InvertVariance(Tensor variance) => Permute(variance, _inverse);

    private Tensor Permute(Tensor t, int[] order)
    {
        IdentityView.Check(t);
        long b = t.shape[0], c = t.shape[1], h = t.shape[2], w = t.shape[3];
        if (h % PatchSize != 0 || w % PatchSize != 0)
            throw new ArgumentException($"The patch size {PatchSize} must divide the image size {h}×{w}.");
        long rows = h / PatchSize, cols = w / PatchSize;
        if (rows * cols != order.Length)
            throw new ArgumentException($"The permutation has {order.Length} entries but a {h}×{w} image has {rows * cols} patches of {PatchSize}px.");
        using var scope = NewDisposeScope();
        var patches = t.reshape(b, c, rows, PatchSize, cols, PatchSize).permute(0, 1, 2, 4, 3, 5).reshape(b, c, rows * cols, PatchSize, PatchSize);
        using var index = tensor(order.Select(v => (long)v).ToArray(), ScalarType.Int64, t.device);
        var shuffled = patches.index_select(2, index);
        var result = shuffled.reshape(b, c, rows, cols, PatchSize, PatchSize).permute(0, 1, 2, 4, 3, 5).reshape(b, c, h, w);
        return scope.MoveToOuter(result);
    }
}

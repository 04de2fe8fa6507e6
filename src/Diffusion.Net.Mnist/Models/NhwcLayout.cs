using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Models;

/// <summary>
/// The NHWC ("channels last") memory layout of [N, C, H, W] tensors. TorchSharp 0.107 has no
/// <c>memory_format</c> argument, so the layout is made by a permute-copy; libtorch recognises it from the strides
/// and oneDNN then runs its NHWC convolution kernels, which skip the reorders to and from its blocked layout.
/// </summary>
internal static class NhwcLayout
{
    /// <summary>True when <paramref name="x"/> is 4-D with more than one channel and laid out NHWC-dense.</summary>
    public static bool Is(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] < 2) return false;
        return x.stride(1) == 1 && x.stride(3) == x.shape[1] && x.stride(2) == x.shape[1] * x.shape[3];
    }

    /// <summary>
    /// <paramref name="x"/> in NHWC layout (itself when it already is, or when it has one channel: a single channel's
    /// NCHW and NHWC layouts are the same bytes and libtorch then keeps to NCHW).
    /// </summary>
    public static Tensor To(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] < 2 || Is(x)) return x;
        // The intermediate views are disposed so that they do not keep x's storage alive after the caller drops x.
        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// GELU that keeps an NHWC tensor on the fast path: libtorch's own element-wise kernel is 2× slower on the
    /// channels-last strides than oneDNN's on a dense tensor, and the permuted view of an NHWC tensor is dense.
    /// </summary>
    public static Tensor Gelu(Tensor x)
    {
        if (!Is(x)) return nn.functional.gelu(x);
        using var dense = x.permute(0, 2, 3, 1);
        using var activated = nn.functional.gelu(dense);
        return activated.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// <see cref="Gelu"/> written into <paramref name="x"/> itself, which it returns; only for a tensor that no
    /// autograd graph needs unchanged.
    /// </summary>
    public static Tensor GeluInPlace(Tensor x)
    {
        if (!Is(x))
        {
            DisposeHandle(x.gelu_(), x);
            return x;
        }
        using var dense = x.permute(0, 2, 3, 1);
        DisposeHandle(dense.gelu_(), dense);
        return x;
    }

    /// <summary>
    /// Disposes the handle an in-place operation returns unless it is <paramref name="target"/> itself: left to the
    /// dispose scope, it would keep the whole activation alive until the caller's scope ends.
    /// </summary>
    private static void DisposeHandle(Tensor result, Tensor target)
    {
        if (!ReferenceEquals(result, target)) result.Dispose();
    }
}

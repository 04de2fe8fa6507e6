using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>
/// oneDNN convolutions on a weight reordered into oneDNN's blocked layout once, through the two operators libtorch's
/// own compiler uses for that (<c>mkldnn::_reorder_convolution_weight</c> and <c>mkldnn::_convolution_pointwise</c>).
/// <c>nn.functional.conv2d</c> hands oneDNN the plain weight, which oneDNN copies into its blocked layout on every
/// call: for IF's 8×8 and 16×16 layers that copy costs as much as the arithmetic, and over an IF-I-M step it is 7% of
/// the time (<c>docs/performance.md</c>). The convolution kernel is the same one, so on the input shape the weight was
/// reordered for the output is bit-identical to <c>conv2d</c>'s; on another shape oneDNN reorders it again on each call
/// (correct, no faster than before). The blocked copy has the weight's size up to the padding of the output channels to
/// the kernel's block (32 or 48).
/// </summary>
/// <remarks>
/// TorchSharp binds neither operator, and its TorchScript compiler reaches only the <c>aten</c> namespace; a
/// TorchScript module loaded from an archive resolves <c>ops.mkldnn.…</c> as libtorch's serialized code does. The
/// archive is built here from the source below, never read from disk. TorchSharp's loader does not catch TorchScript's
/// compile errors (the process would abort), so the archive is only loaded where its operators are known to exist:
/// TorchSharp 0.107 (libtorch 2.10, whose operator schemas this source was checked against) on Linux x64, in a libtorch
/// built with oneDNN, which a catchable probe through the <c>aten</c> operators shows first; bfloat16 weights only where
/// a second probe shows that oneDNN computes bfloat16 on this CPU.
/// </remarks>
internal static class OneDnnPackedConvolution
{
    private const string ModuleSource = """
        class PackedConvolution(Module):
          __parameters__ = []
          __buffers__ = []
          training : bool
          def forward(self: __torch__.PackedConvolution,
            x: Tensor) -> Tensor:
            return x
          def pack(self: __torch__.PackedConvolution,
            weight: Tensor, padding: int, n: int, c: int, h: int, w: int) -> Tensor:
            return ops.mkldnn._reorder_convolution_weight(weight, [padding, padding], [1, 1], [1, 1], 1, [n, c, h, w])
          def convolve(self: __torch__.PackedConvolution,
            x: Tensor, weight: Tensor, bias: Tensor, padding: int) -> Tensor:
            return ops.mkldnn._convolution_pointwise(x, weight, bias, [padding, padding], [1, 1], [1, 1], 1, "none", annotate(List[Optional[number]], []), None)
          def convolve_unbiased(self: __torch__.PackedConvolution,
            x: Tensor, weight: Tensor, padding: int) -> Tensor:
            return ops.mkldnn._convolution_pointwise(x, weight, None, [padding, padding], [1, 1], [1, 1], 1, "none", annotate(List[Optional[number]], []), None)

        """;

    // Only aten operators, whose schemas every libtorch has: a build without oneDNN, or a CPU on which oneDNN computes no
    // bfloat16, fails at run time, which is caught.
    private const string ProbeSource = """
        def probe(weight: Tensor) -> bool:
            return torch.mkldnn_reorder_conv2d_weight(weight.to_mkldnn(), [1, 1], [1, 1], [1, 1], 1, [1, 2, 4, 4]).is_mkldnn

        def probe_bfloat16(x: Tensor, weight: Tensor) -> bool:
            return torch.mkldnn_convolution(x, weight, None, [1, 1], [1, 1], [1, 1], 1).dtype == x.dtype

        """;

    private static readonly Lazy<jit.CompilationUnit?> s_probe = new(CompileProbe);
    private static readonly Lazy<jit.ScriptModule?> s_module = new(Load);
    private static readonly Lazy<bool> s_bfloat16 = new(ProbeBFloat16);

    /// <summary>Whether this process can pack float32 convolution weights (see the remarks).</summary>
    public static bool IsSupported => s_module.Value is not null;

    /// <summary>
    /// Whether it can pack bfloat16 ones too: oneDNN computes bfloat16 only on CPUs with AVX-512 (BW, VL, DQ) or
    /// AVX-NE-CONVERT, and <c>conv2d</c> takes another path elsewhere.
    /// </summary>
    public static bool SupportsBFloat16 => IsSupported && s_bfloat16.Value;

    /// <summary>Whether weights of <paramref name="dtype"/> pack here.</summary>
    public static bool Supports(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => IsSupported,
        ScalarType.BFloat16 => SupportsBFloat16,
        _ => false,
    };

    /// <summary>
    /// The weight [C_out, C_in, k, k] in oneDNN's blocked layout for an NHWC input of shape <paramref name="inputShape"/>
    /// [N, C_in, H, W] (stride 1, dilation 1, one group). The result is an opaque oneDNN tensor for <see cref="Convolve"/> only.
    /// </summary>
    public static Tensor Pack(Tensor weight, long padding, ReadOnlySpan<long> inputShape)
    {
        var module = RequireModule();
        if (weight.dim() != 4 || inputShape.Length != 4 || inputShape[1] != weight.shape[1])
            throw new ArgumentException($"A [C_out, C_in, k, k] weight packs for an [N, C_in, H, W] input; got [{string.Join(", ", weight.shape)}] for [{string.Join(", ", inputShape.ToArray())}].", nameof(weight));
        return (Tensor)module.invoke("pack", weight, padding, inputShape[0], inputShape[1], inputShape[2], inputShape[3]);
    }

    /// <summary>The convolution of <paramref name="x"/> with a weight from <see cref="Pack"/>; the output is channels-last.</summary>
    public static Tensor Convolve(Tensor x, Tensor packed, Tensor? bias, long padding)
    {
        var module = RequireModule();
        if (is_grad_enabled() && x.requires_grad)
            throw new InvalidOperationException("A convolution with a packed weight runs inference only: the input requires a gradient.");
        return bias is null
            ? (Tensor)module.invoke("convolve_unbiased", x, packed, padding)
            : (Tensor)module.invoke("convolve", x, packed, bias, padding);
    }

    private static jit.ScriptModule RequireModule() =>
        s_module.Value ?? throw new PlatformNotSupportedException("This process's libtorch cannot pack convolution weights for oneDNN (see OneDnnPackedConvolution).");

    private static jit.CompilationUnit? CompileProbe()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        var version = typeof(torch).Assembly.GetName().Version;
        if (version is null || version.Major != 0 || version.Minor != 107) return null;
        return jit.compile(ProbeSource);
    }

    private static jit.ScriptModule? Load()
    {
        if (s_probe.Value is not { } probe) return null;
        try
        {
            using (no_grad())
            using (var weight = ones(3, 2, 3, 3))
                if (probe.invoke("probe", weight) is not Scalar blocked || !blocked.ToBoolean()) return null;
            return jit.load(Archive());
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    private static bool ProbeBFloat16()
    {
        if (s_probe.Value is not { } probe) return false;
        try
        {
            using (no_grad())
            using (var x = ones([1, 2, 4, 4], ScalarType.BFloat16))
            using (var weight = ones([3, 2, 3, 3], ScalarType.BFloat16))
                return probe.invoke("probe_bfloat16", x, weight) is Scalar same && same.ToBoolean();
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// A TorchScript archive of <see cref="ModuleSource"/>, as <c>torch.jit.save</c> lays it out: the code, the module
    /// object pickled (protocol 2: an instance of <c>__torch__.PackedConvolution</c> with <c>training = True</c>), an
    /// empty constants table and the format version.
    /// </summary>
    private static byte[] Archive()
    {
        var pickle = new MemoryStream();
        pickle.Write([0x80, 0x02]); // PROTO 2
        pickle.Write(Encoding.ASCII.GetBytes("c__torch__\nPackedConvolution\n")); // GLOBAL module, class
        pickle.Write([(byte)')', 0x81, (byte)'}', (byte)'(']); // EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, MARK
        pickle.WriteByte((byte)'X'); // BINUNICODE, 4-byte little-endian length
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, "training".Length);
        pickle.Write(length);
        pickle.Write("training"u8);
        pickle.Write([0x88, (byte)'u', (byte)'b', (byte)'.']); // NEWTRUE, SETITEMS, BUILD, STOP

        var archive = new MemoryStream();
        using (var zip = new ZipArchive(archive, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, ReadOnlySpan<byte> data)
            {
                using var entry = zip.CreateEntry("packed/" + name, CompressionLevel.NoCompression).Open();
                entry.Write(data);
            }
            Add("data.pkl", pickle.ToArray());
            Add("constants.pkl", [0x80, 0x02, (byte)')', (byte)'.']); // PROTO 2, EMPTY_TUPLE, STOP
            Add("version", "3\n"u8);
            Add("code/__torch__.py", Encoding.UTF8.GetBytes(ModuleSource));
        }
        return archive.ToArray();
    }
}

using Diffusion.Net.DeepFloyd.Config;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>
/// The DeepFloyd IF UNet (the parts of diffusers' UNet2DConditionModel that IF uses), built from its config: stage I
/// (3 → 6 channels) and stage II (6 → 6, with the noise-level class embedding). State-dict names equal diffusers'
/// so published weights load by name. The 6 output channels are ε (3) and the learned-range variance (3).
/// </summary>
public sealed class IFUNet : nn.Module
{
    private readonly Conv2dLayer conv_in;
    private readonly TimestepEmbedding time_embedding;
    private readonly TimestepEmbedding? class_embedding;
    private readonly LinearLayer encoder_hid_proj;
    private readonly TextTimeEmbedding add_embedding;
    private readonly ModuleList<IFDownBlock> down_blocks;
    private readonly IFMidBlock mid_block;
    private readonly ModuleList<IFUpBlock> up_blocks;
    private readonly GroupNormLayer conv_norm_out;
    private readonly Conv2dLayer conv_out;

    /// <summary>Builds the network (uninitialised weights) for <paramref name="config"/>.</summary>
    public IFUNet(IFUNetConfig config, WeightAllocation? allocation = null) : base(nameof(IFUNet))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        config.Validate();
        Allocation = allocation ?? WeightAllocation.Cpu;
        var a = Allocation;
        var channels = config.BlockOutChannels;
        long c0 = channels[0], temb = config.TimeEmbedDim;
        conv_in = new Conv2dLayer(config.InChannels, c0, 3, 1, a);
        time_embedding = new TimestepEmbedding(c0, temb, a);
        if (config.IsSuperResolution) class_embedding = new TimestepEmbedding(c0, temb, a);
        encoder_hid_proj = new LinearLayer(config.EncoderHidDim, config.CrossAttentionDim, a);
        add_embedding = new TextTimeEmbedding(config.EncoderHidDim, temb, config.AdditionEmbedTypeNumHeads, a);

        var block = new BlockSettings(temb, config.NormNumGroups, config.NormEps, config.ResnetSkipTimeAct, config.ResnetOutScaleFactor,
            config.AttentionHeadDim, config.CrossAttentionDim, a);
        down_blocks = new ModuleList<IFDownBlock>();
        long output = c0;
        for (int i = 0; i < channels.Count; i++)
        {
            long input = output;
            output = channels[i];
            bool last = i == channels.Count - 1;
            down_blocks.Add(new IFDownBlock(config.DownBlockTypes[i] == "SimpleCrossAttnDownBlock2D", input, output, config.LayersPerBlock[i], !last, block));
        }
        mid_block = new IFMidBlock(channels[^1], block with { OutScale = config.MidBlockScaleFactor });
        up_blocks = new ModuleList<IFUpBlock>();
        var reversed = channels.Reverse().ToArray();
        var reversedLayers = config.LayersPerBlock.Reverse().ToArray();
        output = reversed[0];
        for (int i = 0; i < reversed.Length; i++)
        {
            bool last = i == reversed.Length - 1;
            long previous = output;
            output = reversed[i];
            long input = reversed[Math.Min(i + 1, reversed.Length - 1)];
            up_blocks.Add(new IFUpBlock(config.UpBlockTypes[i] == "SimpleCrossAttnUpBlock2D", input, previous, output, reversedLayers[i] + 1, !last, block));
        }
        conv_norm_out = new GroupNormLayer(config.NormNumGroups, c0, config.NormEps, a);
        conv_out = new Conv2dLayer(c0, config.OutChannels, 3, 1, a);
        RegisterComponents();
    }

    /// <summary>The config.</summary>
    public IFUNetConfig Config { get; }

    /// <summary>Where the weights live.</summary>
    public WeightAllocation Allocation { get; }

    /// <summary>The number of parameters.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Whether <see cref="PackConvolutionWeights"/> has been applied.</summary>
    public bool PacksConvolutionWeights { get; private set; }

    /// <summary>
    /// <b>Opt-in, irreversible, on the CPU:</b> has every convolution reorder its weight into oneDNN's blocked layout
    /// once, on its first forward pass, and release the weight itself. <c>conv2d</c> hands oneDNN the plain weight, which
    /// oneDNN copies into that layout on every call; at IF-I-M's 8×8 and 16×16 layers the copy costs as much as the
    /// convolution. The kernel is the same, so on the input shape of that first pass the outputs are bit-identical to
    /// the unpacked network's; a later pass with another batch size or resolution is as exact and no faster than
    /// unpacked. The reordered copies take the weights' memory (up to the padding of output channels to oneDNN's
    /// block of 32 or 48). Each layer packs in the first pass that records no gradient (<c>no_grad</c>, or inputs that
    /// require none); from then on the network only runs forward, in the dtype it was packed in (float32 or bfloat16):
    /// the packed layers' <c>weight</c> entries are empty tensors, so loading weights into the model, changing its dtype
    /// or device, or an input that requires a gradient fails with an exception, and a state dict saved afterwards holds
    /// those empty entries (save the weights before). The attention and linear layers are
    /// unchanged. Call it before the model serves concurrent runs; their first passes may then run side by side (one of
    /// them packs each layer).
    /// </summary>
    /// <returns>
    /// True when the convolutions will pack (also when they already were set to); false, with nothing changed, where it
    /// does not apply: weights not float32 or bfloat16 on the CPU, bfloat16 on a CPU where oneDNN computes none (it
    /// needs AVX-512 BW/VL/DQ or AVX-NE-CONVERT), or a libtorch this cannot pack for (Linux x64 with TorchSharp 0.107's
    /// libtorch, built with oneDNN, as its packages are).
    /// </returns>
    public bool PackConvolutionWeights()
    {
        if (PacksConvolutionWeights) return true;
        foreach (var (_, p) in named_parameters())
            if (!OneDnnPackedConvolution.Supports(p.dtype) || p.device_type != TorchSharp.DeviceType.CPU) return false;
        foreach (var conv in modules().OfType<Conv2dLayer>()) conv.PackOnFirstForward();
        PacksConvolutionWeights = true;
        return true;
    }

    /// <summary>Intermediate outputs by diffusers module name, recorded when set (for parity checks).</summary>
    public Dictionary<string, Tensor>? Activations { get; set; }

    /// <summary>
    /// The forward pass (diffusers' UNet2DConditionModel.forward as IF calls it).
    /// </summary>
    /// <param name="sample">[B, in_channels, H, W]; H and W divisible by 2^(levels − 1).</param>
    /// <param name="timestep">int64 [B], or a 0-d tensor broadcast to B.</param>
    /// <param name="encoderHiddenStates">Raw T5 states [B, L, encoder_hid_dim].</param>
    /// <param name="classLabels">Stage II noise levels, int64 [B].</param>
    /// <param name="encoderAttentionMask">Optional [B, L] with 1 = keep (the IF pipelines pass none).</param>
    /// <returns>[B, out_channels, H, W].</returns>
    public Tensor Forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates, Tensor? classLabels = null, Tensor? encoderAttentionMask = null)
    {
        Validate(sample, timestep, encoderHiddenStates, classLabels, encoderAttentionMask);
        long b = sample.shape[0];
        var dtype = sample.dtype;
        var t = timestep.dim() == 0 ? timestep.expand(b) : timestep;
        Tensor? mask = encoderAttentionMask is null ? null : ((1 - encoderAttentionMask.to(dtype)) * -10000.0).unsqueeze(1);

        var tProj = TimestepProjection.Embed(t.to(sample.device), (int)Config.BlockOutChannels[0], Config.FlipSinToCos, Config.FreqShift).to(dtype);
        Record("time_proj", tProj);
        var emb = time_embedding.forward(tProj);
        Record("time_embedding", emb);
        if (class_embedding is not null)
        {
            var cProj = TimestepProjection.Embed(classLabels!.to(sample.device), (int)Config.BlockOutChannels[0], Config.FlipSinToCos, Config.FreqShift).to(dtype);
            // diffusers calls its time_proj module a second time here, so a hook on it records this projection last.
            Record("time_proj", cProj);
            var classEmb = class_embedding.forward(cProj);
            Record("class_embedding", classEmb);
            emb = emb + classEmb;
        }
        var aug = add_embedding.forward(encoderHiddenStates.to(dtype));
        Record("add_embedding", aug);
        emb = emb + aug;
        if (Config.TimeEmbeddingActFn == "gelu") emb = nn.functional.gelu(emb);
        var text = encoder_hid_proj.forward(encoderHiddenStates.to(dtype));
        Record("encoder_hid_proj", text);

        var h = conv_in.forward(sample);
        Record("conv_in", h);
        var skips = new List<Tensor> { h };
        for (int i = 0; i < down_blocks.Count; i++)
        {
            h = down_blocks[i].Forward(h, emb, text, mask, skips);
            Record($"down_blocks.{i}", h);
        }
        h = mid_block.Forward(h, emb, text, mask);
        Record("mid_block", h);
        for (int i = 0; i < up_blocks.Count; i++)
        {
            h = up_blocks[i].Forward(h, emb, text, mask, skips);
            Record($"up_blocks.{i}", h);
        }
        h = conv_norm_out.forward(h);
        Record("conv_norm_out", h);
        // The convolutions keep the activations channels-last; callers get the ordinary contiguous layout.
        h = conv_out.forward(nn.functional.gelu(h)).contiguous();
        Record("conv_out", h);
        return h;
    }

    private void Record(string name, Tensor value)
    {
        if (Activations is not null) Activations[name] = value.detach().clone().DetachFromDisposeScope();
    }

    private void Validate(Tensor sample, Tensor timestep, Tensor text, Tensor? classLabels, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(timestep);
        ArgumentNullException.ThrowIfNull(text);
        if (sample.dim() != 4 || sample.shape[1] != Config.InChannels)
            throw new ArgumentException($"The sample must be [B, {Config.InChannels}, H, W]; got [{string.Join(", ", sample.shape)}].", nameof(sample));
        long factor = 1L << (Config.BlockOutChannels.Count - 1);
        if (sample.shape[2] % factor != 0 || sample.shape[3] % factor != 0)
            throw new ArgumentException($"H and W must be divisible by {factor}; got {sample.shape[2]}×{sample.shape[3]}.", nameof(sample));
        long b = sample.shape[0];
        if (timestep.dim() > 1 || (timestep.dim() == 1 && timestep.shape[0] != b))
            throw new ArgumentException($"The timestep must be 0-d or [B] = [{b}]; got [{string.Join(", ", timestep.shape)}].", nameof(timestep));
        if (text.dim() != 3 || text.shape[0] != b || text.shape[2] != Config.EncoderHidDim)
            throw new ArgumentException($"Text embeddings must be [{b}, L, {Config.EncoderHidDim}]; got [{string.Join(", ", text.shape)}].", nameof(text));
        if (Config.IsSuperResolution && (classLabels is null || classLabels.dim() != 1 || classLabels.shape[0] != b))
            throw new ArgumentException($"Stage II needs noise levels (class labels) of shape [{b}].", nameof(classLabels));
        if (mask is not null && (mask.dim() != 2 || mask.shape[0] != b || mask.shape[1] != text.shape[1]))
            throw new ArgumentException($"The attention mask must be [{b}, {text.shape[1]}]; got [{string.Join(", ", mask.shape)}].", nameof(mask));
    }
}

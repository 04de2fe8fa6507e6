using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>The settings every block of one IF UNet shares.</summary>
internal sealed record BlockSettings(long TembChannels, long Groups, double Eps, bool SkipTimeAct, double OutScale, long HeadDim, long CrossAttentionDim, WeightAllocation Allocation);

/// <summary>A down block: resnets (each followed by an attention in the SimpleCrossAttn variant), then a down-resnet unless last.</summary>
internal sealed class IFDownBlock : nn.Module
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<AddedKVAttention>? attentions;
    private readonly ModuleList<ResnetBlock2D>? downsamplers;

    internal IFDownBlock(bool withAttention, long inChannels, long outChannels, int layers, bool addDownsample, BlockSettings s) : base(nameof(IFDownBlock))
    {
        resnets = new ModuleList<ResnetBlock2D>();
        for (int i = 0; i < layers; i++)
            resnets.Add(new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, s.TembChannels, s.Groups, s.Eps, s.SkipTimeAct, s.OutScale, Resample.None, s.Allocation));
        if (withAttention)
        {
            attentions = new ModuleList<AddedKVAttention>();
            for (int i = 0; i < layers; i++) attentions.Add(new AddedKVAttention(outChannels, s.CrossAttentionDim, s.HeadDim, s.Groups, s.Allocation));
        }
        if (addDownsample)
            downsamplers = new ModuleList<ResnetBlock2D>(new ResnetBlock2D(outChannels, outChannels, s.TembChannels, s.Groups, s.Eps, s.SkipTimeAct, s.OutScale, Resample.Down, s.Allocation));
        RegisterComponents();
    }

    internal Tensor Forward(Tensor h, Tensor temb, Tensor text, Tensor? mask, List<Tensor> skips)
    {
        for (int i = 0; i < resnets.Count; i++)
        {
            h = resnets[i].forward(h, temb);
            if (attentions is not null) h = attentions[i].Forward(h, text, mask);
            skips.Add(h);
        }
        if (downsamplers is not null)
        {
            h = downsamplers[0].forward(h, temb);
            skips.Add(h);
        }
        return h;
    }
}

/// <summary>The mid block: resnet → attention → resnet (with the mid-block scale factor).</summary>
internal sealed class IFMidBlock : nn.Module
{
    private readonly ModuleList<AddedKVAttention> attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;

    internal IFMidBlock(long channels, BlockSettings s) : base(nameof(IFMidBlock))
    {
        resnets = new ModuleList<ResnetBlock2D>(
            new ResnetBlock2D(channels, channels, s.TembChannels, s.Groups, s.Eps, s.SkipTimeAct, s.OutScale, Resample.None, s.Allocation),
            new ResnetBlock2D(channels, channels, s.TembChannels, s.Groups, s.Eps, s.SkipTimeAct, s.OutScale, Resample.None, s.Allocation));
        attentions = new ModuleList<AddedKVAttention>(new AddedKVAttention(channels, s.CrossAttentionDim, s.HeadDim, s.Groups, s.Allocation));
        RegisterComponents();
    }

    internal Tensor Forward(Tensor h, Tensor temb, Tensor text, Tensor? mask)
    {
        h = resnets[0].forward(h, temb);
        h = attentions[0].Forward(h, text, mask);
        return resnets[1].forward(h, temb);
    }
}

/// <summary>An up block: each resnet takes cat([h, skip]) (the last skip first), optionally followed by attention; then an up-resnet unless last.</summary>
internal sealed class IFUpBlock : nn.Module
{
    private readonly ModuleList<AddedKVAttention>? attentions;
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<ResnetBlock2D>? upsamplers;

    internal IFUpBlock(bool withAttention, long inChannels, long prevOutputChannels, long outChannels, int layers, bool addUpsample, BlockSettings s) : base(nameof(IFUpBlock))
    {
        resnets = new ModuleList<ResnetBlock2D>();
        for (int i = 0; i < layers; i++)
        {
            long skip = i == layers - 1 ? inChannels : outChannels;
            long input = i == 0 ? prevOutputChannels : outChannels;
            resnets.Add(new ResnetBlock2D(input + skip, outChannels, s.TembChannels, s.Groups, s.Eps, s.SkipTimeAct, s.OutScale, Resample.None, s.Allocation));
        }
        if (withAttention)
        {
            attentions = new ModuleList<AddedKVAttention>();
            for (int i = 0; i < layers; i++) attentions.Add(new AddedKVAttention(outChannels, s.CrossAttentionDim, s.HeadDim, s.Groups, s.Allocation));
        }
        if (addUpsample)
            upsamplers = new ModuleList<ResnetBlock2D>(new ResnetBlock2D(outChannels, outChannels, s.TembChannels, s.Groups, s.Eps, s.SkipTimeAct, s.OutScale, Resample.Up, s.Allocation));
        RegisterComponents();
    }

    internal int Layers => resnets.Count;

    internal Tensor Forward(Tensor h, Tensor temb, Tensor text, Tensor? mask, List<Tensor> skips)
    {
        for (int i = 0; i < resnets.Count; i++)
        {
            var skip = skips[^1];
            skips.RemoveAt(skips.Count - 1);
            h = resnets[i].forward(cat([h, skip], 1), temb);
            if (attentions is not null) h = attentions[i].Forward(h, text, mask);
        }
        if (upsamplers is not null) h = upsamplers[0].forward(h, temb);
        return h;
    }
}

using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.PartA;

/// <summary>The options of <c>deepfloyd</c>: where IF's weights and the prompt embeddings are.</summary>
internal sealed class DeepFloydSettings : PartASettings
{
    [CommandOption("--stage1 <DIR>")]
    [Description("A diffusers folder of DeepFloyd/IF-I-L-v1.0 (or IF-I-XL, IF-I-M): model_index.json, unet/, scheduler/.")]
    public string? Stage1 { get; init; }

    [CommandOption("--stage2 <DIR>")]
    [Description("Optional, for §0's upsampling: a folder of DeepFloyd/IF-II-L-v1.0.")]
    public string? Stage2 { get; init; }

    [CommandOption("--embeddings <FILE>")]
    [Description("Prompt embeddings: CS180's prompt_embeds_dict.pth, or a .safetensors store written by PromptEmbeddings.Save.")]
    public string? Embeddings { get; init; }

    [CommandOption("--bf16")]
    [Description("Load the UNets in bfloat16 (half the memory; faster on CPUs with bf16 instructions).")]
    public bool Bf16 { get; init; }

    /// <inheritdoc />
    public override PartAOptions ToOptions(string command) => base.ToOptions(command) with
    {
        Stage1 = CliValues.Text(Stage1, "--stage1"),
        Stage2 = CliValues.Text(Stage2, "--stage2"),
        Embeddings = CliValues.Text(Embeddings, "--embeddings"),
        Bf16 = Bf16,
    };
}

using System.Text.RegularExpressions;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Docs.Tests;

/// <summary>
/// The README's MNIST sampling statements, compiled and run as written on a tiny seeded UNet, give bit for bit what the
/// main job (samples/Diffusion.Net.Samples.Mnist: <c>MnistSampling.ClassConditioned</c> with its sampler) gives.
/// </summary>
public class ReadmeSamplingTests
{
    private static readonly MnistRecipe Tiny = MnistRecipes.ClassConditioned with { Name = "tiny-class", Hidden = 4 };

    [Fact]
    public void ReadmeB4Snippet_IsTheMainJobsB4Path_BitForBit()
    {
        using var unet = (ClassConditionalUNet)MnistTraining.CreateModel(Tiny);
        unet.eval();                                                  // as the README's TrainAsync leaves it
        using var fromReadme = RunReadmeStatement("digits", unet);
        // The main job's path for `--sampler ddpm` (Algorithm B.4 as specified).
        using var mainJob = MnistSampling.ClassConditioned(unet, MnistSampling.EachDigit(4), 5.0, sampler: MnistSampler.Parse("ddpm")).Run(seed: 0);
        fromReadme.shape.Should().Equal(40, 1, 28, 28);
        Same(fromReadme, mainJob).Should().BeTrue("the README's B.4 chain must sample exactly as the main job, x̂₀ clipping included");
    }

    [Fact]
    public void ReadmeB4Snippet_DiffersFromTheUnclippedChain()
    {
        // The check above could pass vacuously if clipping changed nothing on this model: it does change the samples.
        using var unet = (ClassConditionalUNet)MnistTraining.CreateModel(Tiny);
        using var clipped = MnistSampling.ClassConditioned(unet, [3], 5.0, sampler: MnistSampler.Ddpm(clipToDataRange: true)).Run(seed: 0);
        using var unclipped = MnistSampling.ClassConditioned(unet, [3], 5.0, sampler: MnistSampler.Ddpm(clipToDataRange: false)).Run(seed: 0);
        Same(clipped, unclipped).Should().BeFalse();
    }

    [Fact]
    public void ReadmeFastSnippet_IsTheMainJobsDefaultSampling_BitForBit()
    {
        using var unet = (ClassConditionalUNet)MnistTraining.CreateModel(Tiny);
        unet.eval();
        using var fromReadme = RunReadmeStatement("fast", unet);
        // The main job's default: SampleOptions.DefaultSampler = MnistSampler.Parse("dpm++2m-10"), CFG 5.
        using var mainJob = MnistSampling.ClassConditioned(unet, MnistSampling.EachDigit(4), 5.0, sampler: MnistSampler.Parse("dpm++2m-10")).Run(seed: 0);
        Same(fromReadme, mainJob).Should().BeTrue();
    }

    private static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var eq = a.eq(b).all();
        return eq.item<bool>();
    }

    /// <summary>
    /// Compiles the README's <c>using Tensor name = … .Run(seed: 0);</c> statement (with the block's usings) into a
    /// method of <c>unet</c>, runs it and returns the tensor.
    /// </summary>
    private static Tensor RunReadmeStatement(string name, ClassConditionalUNet unet)
    {
        var block = SnippetCompiler.Extract("README.md").First(s => s.Code.Contains("MnistSampling", StringComparison.Ordinal)).Code;
        var statement = Regex.Match(block, @"using Tensor " + name + @" = (.*?\.Run\(seed: 0\);)", RegexOptions.Singleline);
        statement.Success.Should().BeTrue($"the README's MNIST block must hold `using Tensor {name} = … .Run(seed: 0);`");
        var usings = string.Join("\n", block.Split('\n').Where(l => l.StartsWith("using ", StringComparison.Ordinal) && l.TrimEnd().EndsWith(';')));
        var code = $$"""
            {{usings}}

            public static class ReadmeStatement
            {
                public static Tensor Run(ClassConditionalUNet unet)
                {
                    Tensor {{name}} = {{statement.Groups[1].Value}}
                    return {{name}};
                }
            }
            """;
        var method = SnippetCompiler.Load(code, "README-" + name).GetType("ReadmeStatement")!.GetMethod("Run")!;
        return (Tensor)method.Invoke(null, [unet])!;
    }
}

using Diffusion.Net.DeepFloyd.Hosting;
using Diffusion.Net.DeepFloyd.Prompts;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

public class HostingTests
{
    [Fact]
    public async Task AddDeepFloyd_LoadsTheConfiguredStageOnFirstUse()
    {
        using var folder = new TinyPipelineFolder();
        var services = new ServiceCollection();
        services.AddDiffusion().AddDeepFloyd(o => o.Stage1Folder = folder.Root);
        await using var provider = services.BuildServiceProvider();
        var models = provider.GetRequiredService<DeepFloydModelProvider>();
        var stage1 = await models.Stage1Async();
        (await models.Stage1Async()).Should().BeSameAs(stage1);
        stage1.SampleSize.Should().Be(16);
        await FluentActions.Awaiting(() => models.PromptsAsync()).Should().ThrowAsync<InvalidOperationException>().WithMessage("*EmbeddingsPath*");
    }

    [Fact]
    public void AddDeepFloyd_WithAFolderWithoutAUNet_FailsValidation()
    {
        var services = new ServiceCollection();
        services.AddDiffusion().AddDeepFloyd(o => o.Stage1Folder = "/nonexistent");
        using var provider = services.BuildServiceProvider();
        FluentActions.Invoking(() => provider.GetRequiredService<IOptions<DeepFloydServiceOptions>>().Value)
            .Should().Throw<OptionsValidationException>().WithMessage("*unet*");
    }

    [Fact]
    public async Task AddDeepFloyd_LoadsOnTheConfiguredDType()
    {
        using var folder = new TinyPipelineFolder();
        var services = new ServiceCollection();
        services.AddDiffusion(o => o.DType = "bfloat16").AddDeepFloyd(o => o.Stage1Folder = folder.Root);
        await using var provider = services.BuildServiceProvider();
        var models = provider.GetRequiredService<DeepFloydModelProvider>();
        models.LoadOptions.DType.Should().Be(ScalarType.BFloat16);
        models.LoadOptions.Device!.type.Should().Be(TorchSharp.DeviceType.CPU);
        var stage1 = await models.Stage1Async();
        stage1.DType.Should().Be(ScalarType.BFloat16);
        stage1.UNet.parameters().Should().OnlyContain(p => p.dtype == ScalarType.BFloat16);
    }

    [Fact]
    public void AddDeepFloyd_WithAFloat64Runtime_FailsValidation_NamingTheOption()
    {
        using var folder = new TinyPipelineFolder();
        var services = new ServiceCollection();
        services.AddDiffusion(o => o.DType = "float64").AddDeepFloyd(o => o.Stage1Folder = folder.Root);
        using var provider = services.BuildServiceProvider();
        FluentActions.Invoking(() => provider.GetRequiredService<IOptions<DeepFloydServiceOptions>>().Value)
            .Should().Throw<OptionsValidationException>().WithMessage("*DiffusionOptions.DType*");
    }

    [Fact]
    public async Task PromptEncoder_UsesStageOnesT5_WhenLoadTextEncoderIsSet()
    {
        using var folder = new TinyPipelineFolder(withTextEncoder: true);
        var services = new ServiceCollection();
        services.AddDiffusion().AddDeepFloyd(o => { o.Stage1Folder = folder.Root; o.LoadTextEncoder = true; });
        await using var provider = services.BuildServiceProvider();
        var models = provider.GetRequiredService<DeepFloydModelProvider>();
        var encoder = await models.PromptEncoderAsync();
        encoder.TextEncoder.Should().BeSameAs((await models.Stage1Async()).TextEncoder).And.NotBeNull();
        using var scope = NewDisposeScope();
        encoder.Encode("a rocket ship").Embeddings.shape.Should().Equal(1, 77, 32);
    }

    [Fact]
    public async Task PackTextEncoderWeights_ReachesTheLoadedEncoder()
    {
        using var folder = new TinyPipelineFolder(withTextEncoder: true);
        var services = new ServiceCollection();
        services.AddDiffusion().AddDeepFloyd(o => { o.Stage1Folder = folder.Root; o.LoadTextEncoder = true; o.PackTextEncoderWeights = true; });
        await using var provider = services.BuildServiceProvider();
        var stage1 = await provider.GetRequiredService<DeepFloydModelProvider>().Stage1Async();
        stage1.TextEncoder!.Encoder.IsPacked.Should().Be(Platform.PacksWeights);
    }

    [Fact]
    public async Task PackUNetConvolutionWeights_ReachesBothStages()
    {
        using var stage1Folder = new TinyPipelineFolder();
        using var stage2Folder = new TinyPipelineFolder(stage2: true);
        var services = new ServiceCollection();
        services.AddDiffusion().AddDeepFloyd(o => { o.Stage1Folder = stage1Folder.Root; o.Stage2Folder = stage2Folder.Root; o.PackUNetConvolutionWeights = true; });
        await using var provider = services.BuildServiceProvider();
        var models = provider.GetRequiredService<DeepFloydModelProvider>();
        (await models.Stage1Async()).UNet.PacksConvolutionWeights.Should().Be(Platform.PacksWeights);
        (await models.Stage2Async()).UNet.PacksConvolutionWeights.Should().Be(Platform.PacksWeights);
    }

    [Theory]
    [InlineData("float32", false, true, "*needs LoadTextEncoder*")]
    [InlineData("bfloat16", true, true, "*PackTextEncoderWeights packs float32*")]
    [InlineData("float32", true, false, "*PackTextEncoderWeights packs float32*")]
    public void PackTextEncoderWeights_WithoutT5OrFloat32_FailsValidation_NamingTheOption(string dtype, bool loadT5, bool asRuntime, string message)
    {
        using var folder = new TinyPipelineFolder(withTextEncoder: true);
        var services = new ServiceCollection();
        services.AddDiffusion(o => o.DType = asRuntime ? dtype : "float32")
            .AddDeepFloyd(o => { o.Stage1Folder = folder.Root; o.LoadTextEncoder = loadT5; o.PackTextEncoderWeights = true; o.Bf16 = !asRuntime; });
        using var provider = services.BuildServiceProvider();
        FluentActions.Invoking(() => provider.GetRequiredService<IOptions<DeepFloydServiceOptions>>().Value)
            .Should().Throw<OptionsValidationException>().WithMessage(message);
    }

    [Fact]
    public async Task PromptEncoder_FallsBackToTheStore_AndWithNeitherThrowsNotSupported()
    {
        using var folder = new TinyPipelineFolder();
        var storePath = Path.Combine(folder.Root, "embeds.safetensors");
        using (var store = new PromptEmbeddings())
        using (var scope = NewDisposeScope())
        {
            store.Add("", zeros(1, 77, 32));
            store.Add("a rocket ship", ones(1, 77, 32));
            store.Save(storePath);
        }
        var services = new ServiceCollection();
        services.AddDiffusion().AddDeepFloyd(o => { o.Stage1Folder = folder.Root; o.EmbeddingsPath = storePath; });
        await using (var provider = services.BuildServiceProvider())
        {
            var encoder = await provider.GetRequiredService<DeepFloydModelProvider>().PromptEncoderAsync();
            encoder.TextEncoder.Should().BeNull();
            using var scope = NewDisposeScope();
            encoder.Encode("a rocket ship").Embeddings.mean().item<float>().Should().Be(1);
        }

        var bare = new ServiceCollection();
        bare.AddDiffusion().AddDeepFloyd(o => o.Stage1Folder = folder.Root);
        await using var bareProvider = bare.BuildServiceProvider();
        await FluentActions.Awaiting(() => bareProvider.GetRequiredService<DeepFloydModelProvider>().PromptEncoderAsync())
            .Should().ThrowAsync<NotSupportedException>().WithMessage("*LoadTextEncoder*EmbeddingsPath*");
    }

    [Fact]
    public void AddDeepFloyd_LoadTextEncoderWithoutAnEncoderFolder_FailsValidation()
    {
        using var folder = new TinyPipelineFolder();
        var services = new ServiceCollection();
        services.AddDiffusion().AddDeepFloyd(o => { o.Stage1Folder = folder.Root; o.LoadTextEncoder = true; });
        using var provider = services.BuildServiceProvider();
        FluentActions.Invoking(() => provider.GetRequiredService<IOptions<DeepFloydServiceOptions>>().Value)
            .Should().Throw<OptionsValidationException>().WithMessage("*text_encoder*");
    }
}

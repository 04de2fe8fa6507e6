using System.Drawing;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.Extensions.AI.DeepFloyd;
using Diffusion.Net.Extensions.AI.Requests;
using FluentAssertions;
using Microsoft.Extensions.AI;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Extensions.AI.Tests;

/// <summary>DeepFloyd IF stage I behind IImageGenerator, on the 16 × 16 tiny stage and tiny T5 fixtures.</summary>
public sealed class DeepFloydImageGeneratorTests : IDisposable
{
    private readonly TinyIFFolder _folder = new(withTextEncoder: true);
    private readonly DeepFloydModel _stage1;
    private readonly PromptEmbeddings _store = new();

    public DeepFloydImageGeneratorTests()
    {
        _stage1 = DeepFloydModel.Load(_folder.Root, DeepFloydOptions.Float32);
        random.manual_seed(2);
        _store.Add("", randn(1, 77, 32));
        _store.Add("a rocket ship", randn(1, 77, 32));
    }

    public void Dispose()
    {
        _stage1.Dispose();
        _store.Dispose();
        _folder.Dispose();
    }

    private static ImageGenerationOptions Fast(int count = 1, long seed = 1, params (string, object)[] more)
    {
        var o = new ImageGenerationOptions { Count = count, AdditionalProperties = new() { ["seed"] = seed, ["steps"] = 3 } };
        foreach (var (k, v) in more) o.AdditionalProperties[k] = v;
        return o;
    }

    private static (int Width, int Height) SizeOf(AIContent content)
    {
        var data = content.Should().BeOfType<DataContent>().Subject;
        data.MediaType.Should().Be("image/png");
        using var image = SixLabors.ImageSharp.Image.Load<Rgb24>(data.Data.Span);
        return (image.Width, image.Height);
    }

    [Fact]
    public async Task AStoredPrompt_WithoutT5_GivesPngsAtTheStagesSize_ReproduciblyPerSeed()
    {
        using var generator = new DeepFloydImageGenerator(_stage1, new IFPromptEncoder((T5TextEncoder?)null, _store));
        var a = await generator.GenerateImagesAsync("a rocket ship", Fast(2));
        var b = await generator.GenerateImagesAsync("a rocket ship", Fast(2));
        a.Contents.Should().HaveCount(2);
        a.Contents.Select(SizeOf).Should().AllBeEquivalentTo((16, 16));
        ((DataContent)a.Contents[0]).Data.ToArray().Should().Equal(((DataContent)b.Contents[0]).Data.ToArray());
        generator.Metadata!.DefaultImageSize.Should().Be(new System.Drawing.Size(16, 16));
        generator.GetService<ImageGeneratorMetadata>()!.ProviderName.Should().Be("diffusion-net");
    }

    [Fact]
    public async Task WithT5Loaded_AnyPromptWorks_AndThePromptChangesTheImage()
    {
        using var withT5 = DeepFloydModel.Load(_folder.Root, DeepFloydOptions.Float32 with { LoadTextEncoder = true });
        using var generator = new DeepFloydImageGenerator(withT5, new IFPromptEncoder(withT5));
        var cat = await generator.GenerateImagesAsync("an oil painting of a cat", Fast());
        var ship = await generator.GenerateImagesAsync("a rocket ship", Fast());
        ((DataContent)cat.Contents[0]).Data.ToArray().Should().NotEqual(((DataContent)ship.Contents[0]).Data.ToArray());
    }

    [Fact]
    public async Task WithNeitherT5NorTheStoredPrompt_ThrowsNotSupported_NamingBothOptions()
    {
        using var none = new DeepFloydImageGenerator(_stage1, new IFPromptEncoder((T5TextEncoder?)null));
        await FluentActions.Awaiting(() => none.GenerateImagesAsync("a rocket ship", Fast())).Should().ThrowAsync<NotSupportedException>()
            .WithMessage("*LoadTextEncoder*EmbeddingsPath*");
        using var storeOnly = new DeepFloydImageGenerator(_stage1, new IFPromptEncoder((T5TextEncoder?)null, _store));
        await FluentActions.Awaiting(() => storeOnly.GenerateImagesAsync("a cat", Fast())).Should().ThrowAsync<NotSupportedException>()
            .WithMessage("*\"a cat\" is not in the prompt-embedding store*LoadTextEncoder*");
    }

    [Fact]
    public async Task ImageSize_IsValidated_AgainstTheUNet()
    {
        using var generator = new DeepFloydImageGenerator(_stage1, new IFPromptEncoder((T5TextEncoder?)null, _store));
        var o = Fast();
        o.ImageSize = new System.Drawing.Size(32, 24);
        var r = await generator.GenerateImagesAsync("a rocket ship", o);
        SizeOf(r.Contents[0]).Should().Be((32, 24));
        o.ImageSize = new System.Drawing.Size(18, 18);
        (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("a rocket ship", o)).Should().ThrowAsync<ImageGenerationRequestException>())
            .Which.Property.Should().Be("ImageSize");
        o.ImageSize = new System.Drawing.Size(64, 64);
        (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("a rocket ship", o)).Should().ThrowAsync<ImageGenerationRequestException>())
            .Which.Message.Should().Contain("twice");
    }

    [Fact]
    public async Task Samplers_AreChosenByName_AndUnknownOnesNamed()
    {
        using var generator = new DeepFloydImageGenerator(_stage1, new IFPromptEncoder((T5TextEncoder?)null, _store));
        var ddpm = await generator.GenerateImagesAsync("a rocket ship", Fast(1, 1, ("sampler", "ddpm")));
        var dpm = await generator.GenerateImagesAsync("a rocket ship", Fast(1, 1, ("sampler", "dpm++2m")));
        ((DataContent)ddpm.Contents[0]).Data.ToArray().Should().NotEqual(((DataContent)dpm.Contents[0]).Data.ToArray());
        (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("a rocket ship", Fast(1, 1, ("sampler", "euler")))).Should().ThrowAsync<ImageGenerationRequestException>())
            .Which.Property.Should().Be("AdditionalProperties[\"sampler\"]");
        (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("a rocket ship", Fast(1, 1, ("anagram_prompt", "x")))).Should().ThrowAsync<ImageGenerationRequestException>())
            .Which.Message.Should().Contain("MNIST-only");
    }

    [Fact]
    public async Task Sdedit_AndInpaint_RunOnOriginals()
    {
        using var generator = new DeepFloydImageGenerator(_stage1, new IFPromptEncoder((T5TextEncoder?)null, _store));
        using var picture = new Image<Rgb24>(16, 16, new Rgb24(200, 40, 40));
        using var stream = new MemoryStream();
        picture.SaveAsPng(stream);
        var original = new DataContent(stream.ToArray(), "image/png");
        var gentle = await generator.EditImageAsync(original, "a rocket ship", Fast(1, 1, ("strength", 0.05)));
        using (var img = SixLabors.ImageSharp.Image.Load<Rgb24>(((DataContent)gentle.Contents[0]).Data.Span))
            img[8, 8].R.Should().BeGreaterThan(img[8, 8].G, "a gentle SDEdit keeps the red original");
        var inpainted = await generator.EditImageAsync(original, "a rocket ship", Fast(2, 1, ("mask", TinyModels.LowerHalfMask(16))));
        inpainted.Contents.Should().HaveCount(2);
        inpainted.Contents.Select(SizeOf).Should().AllBeEquivalentTo((16, 16));
    }
}

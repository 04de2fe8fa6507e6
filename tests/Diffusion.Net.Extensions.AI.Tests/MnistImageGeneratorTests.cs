using System.Drawing;
using System.Text.Json;
using Diffusion.Net.Extensions.AI.Mnist;
using Diffusion.Net.Extensions.AI.Requests;
using Diffusion.Net.Mnist.Models;
using FluentAssertions;
using Microsoft.Extensions.AI;
using Xunit;

namespace Diffusion.Net.Extensions.AI.Tests;

[Collection(nameof(TrainedMnistCollection))]
public sealed class MnistImageGeneratorTests(TrainedMnistFixture fixture)
{
    private const string Fast = "dpm++2m-3";
    private readonly ClassConditionalUNet _model = fixture.Model;

    private MnistImageGenerator Generator(DiffusionImageGeneratorOptions? options = null, CapturingLogger<MnistImageGenerator>? logger = null)
        => new(_model, options ?? new DiffusionImageGeneratorOptions { DefaultSampler = Fast }, logger);

    private static ImageGenerationOptions With(int? count = null, params (string Key, object? Value)[] properties)
    {
        var options = new ImageGenerationOptions { Count = count, AdditionalProperties = [] };
        foreach (var (k, v) in properties) options.AdditionalProperties[k] = v;
        return options;
    }

    [Fact]
    public async Task Generate_ReturnsCountPngsOf28x28_WithTheirSeed()
    {
        using var generator = Generator();
        var response = await generator.GenerateImagesAsync("a 7", With(3, ("seed", 42L)));
        response.Contents.Should().HaveCount(3).And.AllBeOfType<DataContent>();
        foreach (var content in response.Contents.Cast<DataContent>())
        {
            content.MediaType.Should().Be("image/png");
            var (w, h, _) = TinyModels.Gray(content.Data);
            (w, h).Should().Be((28, 28));
            content.AdditionalProperties!["seed"].Should().Be(42L);
        }
    }

    [Fact]
    public async Task SameSeed_GivesTheSameImages_AnotherSeedOthers()
    {
        using var generator = Generator();
        async Task<byte[][]> Run(object seed) => (await generator.GenerateImagesAsync("3", With(2, ("seed", seed)))).Contents.Cast<DataContent>().Select(c => c.Data.ToArray()).ToArray();
        var a = await Run(7L);
        var b = await Run(JsonSerializer.Deserialize<JsonElement>("7"));
        var c = await Run(8L);
        b.Should().BeEquivalentTo(a, o => o.WithStrictOrdering(), "a JSON seed reads as the same number");
        c[0].Should().NotEqual(a[0]);
        a[0].Should().NotEqual(a[1], "each image of a batch gets its own noise");
    }

    [Fact]
    public async Task ThePromptsDigit_ReachesTheModel()
    {
        using var generator = Generator();
        var seven = await generator.GenerateImagesAsync("seven", With(1, ("seed", 5L)));
        var numeral = await generator.GenerateImagesAsync("7", With(1, ("seed", 5L)));
        var three = await generator.GenerateImagesAsync("3", With(1, ("seed", 5L)));
        var none = await generator.GenerateImagesAsync("", With(1, ("seed", 5L)));
        var bytes = (ImageGenerationResponse r) => ((DataContent)r.Contents[0]).Data.ToArray();
        bytes(seven).Should().Equal(bytes(numeral));
        bytes(three).Should().NotEqual(bytes(seven));
        bytes(none).Should().NotEqual(bytes(seven));
    }

    public static TheoryData<string, object, string> BadProperties => new()
    {
        { "seed", -1L, "AdditionalProperties[\"seed\"]" },
        { "seed", "abc", "AdditionalProperties[\"seed\"]" },
        { "seed", 1.5, "AdditionalProperties[\"seed\"]" },
        { "steps", 0, "AdditionalProperties[\"steps\"]" },
        { "guidance_scale", -1.0, "AdditionalProperties[\"guidance_scale\"]" },
        { "guidance_scale", double.NaN, "AdditionalProperties[\"guidance_scale\"]" },
        { "sampler", "bogus-3", "AdditionalProperties[\"sampler\"]" },
        { "sampler", 3, "AdditionalProperties[\"sampler\"]" },
        { "strength", 0.0, "AdditionalProperties[\"strength\"]" },
        { "strength", 1.5, "AdditionalProperties[\"strength\"]" },
        { "negative_prompt", "a cat", "AdditionalProperties[\"negative_prompt\"]" },
        { "mask", TinyModels.LowerHalfMask(), "AdditionalProperties[\"mask\"]" },
        { "anagram_prompt", "a cat", "AdditionalProperties[\"anagram_prompt\"]" },
        { "anagram_view", "rotate180", "AdditionalProperties[\"anagram_view\"]" },
    };

    [Theory]
    [MemberData(nameof(BadProperties))]
    public async Task BadAdditionalProperties_AreRejected_NamingTheProperty(string key, object value, string property)
    {
        using var generator = Generator();
        var e = await FluentActions.Awaiting(() => generator.GenerateImagesAsync("7", With(1, (key, value)))).Should().ThrowAsync<ImageGenerationRequestException>();
        e.Which.Property.Should().Be(property);
        e.Which.Message.Should().StartWith(property + ": ");
    }

    [Fact]
    public async Task StepsForASamplerThatHasNone_OrContradictingIt_AreRejectedNamingSteps()
    {
        using var generator = Generator();
        (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("7", With(1, ("sampler", "ddpm"), ("steps", 5)))).Should().ThrowAsync<ImageGenerationRequestException>())
            .Which.Property.Should().Be("AdditionalProperties[\"steps\"]");
        (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("7", With(1, ("sampler", "dpm++2m-4"), ("steps", 5)))).Should().ThrowAsync<ImageGenerationRequestException>())
            .Which.Message.Should().Contain("contradicts");
    }

    [Fact]
    public async Task Steps_ReplaceTheSamplersStepCount()
    {
        using var generator = Generator();
        var viaSteps = await generator.GenerateImagesAsync("7", With(1, ("seed", 1L), ("sampler", "ddim"), ("steps", 4)));
        var viaName = await generator.GenerateImagesAsync("7", With(1, ("seed", 1L), ("sampler", "ddim-4")));
        var other = await generator.GenerateImagesAsync("7", With(1, ("seed", 1L), ("sampler", "ddim-5")));
        ((DataContent)viaSteps.Contents[0]).Data.ToArray().Should().Equal(((DataContent)viaName.Contents[0]).Data.ToArray());
        ((DataContent)other.Contents[0]).Data.ToArray().Should().NotEqual(((DataContent)viaName.Contents[0]).Data.ToArray());
    }

    [Fact]
    public async Task SizeCountAndFormat_AreValidated_NamingTheOption()
    {
        using var generator = Generator(new DiffusionImageGeneratorOptions { DefaultSampler = Fast, MaxCount = 4 });
        async Task<string> Property(ImageGenerationOptions o) =>
            (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("7", o)).Should().ThrowAsync<ImageGenerationRequestException>()).Which.Property;
        (await Property(new ImageGenerationOptions { ImageSize = new Size(64, 64) })).Should().Be("ImageSize");
        (await Property(new ImageGenerationOptions { Count = 0 })).Should().Be("Count");
        (await Property(new ImageGenerationOptions { Count = 5 })).Should().Be("Count");
        (await Property(new ImageGenerationOptions { MediaType = "image/jpeg" })).Should().Be("MediaType");
        (await Property(new ImageGenerationOptions { ResponseFormat = ImageGenerationResponseFormat.Uri })).Should().Be("ResponseFormat");
        (await Property(new ImageGenerationOptions { ModelId = "dall-e-3" })).Should().Be("ModelId");
        var ok = await generator.GenerateImagesAsync("7", new ImageGenerationOptions { ImageSize = new Size(28, 28), Count = 4, MediaType = "image/png", ModelId = "mnist-class-conditioned" });
        ok.Contents.Should().HaveCount(4);
    }

    [Fact]
    public async Task Sdedit_AtLowStrength_KeepsTheOriginal_AtFullStrengthRedrawsIt()
    {
        using var generator = Generator();
        var original = TinyModels.Gray(TinyModels.DigitPng()).Pixels;
        async Task<double> Distance(double strength)
        {
            var r = await generator.EditImageAsync(new DataContent(TinyModels.DigitPng(), "image/png"), "1", With(1, ("seed", 3L), ("strength", strength)));
            var (w, h, pixels) = TinyModels.Gray(((DataContent)r.Contents.Single()).Data);
            (w, h).Should().Be((28, 28));
            return pixels.Zip(original, (a, b) => Math.Abs(a - b) / 255.0).Average();
        }
        double gentle = await Distance(0.02), full = await Distance(1.0);
        gentle.Should().BeLessThan(0.05, "the last level of the chain adds almost no noise");
        full.Should().BeGreaterThan(gentle * 3, "from pure noise the untrained model draws something else");
    }

    [Fact]
    public async Task Sdedit_OfADigitOnPaper_InvertsItToMnistsLightOnDark()
    {
        using var generator = Generator();
        var lightOnDark = TinyModels.Gray(TinyModels.DigitPng()).Pixels;
        var r = await generator.EditImageAsync(new DataContent(TinyModels.DigitPng(lightBackground: true), "image/png"), "1", With(1, ("seed", 3L), ("strength", 0.02)));
        var pixels = TinyModels.Gray(((DataContent)r.Contents[0]).Data).Pixels;
        pixels.Zip(lightOnDark, (a, b) => Math.Abs(a - b) / 255.0).Average().Should().BeLessThan(0.05);
    }

    [Fact]
    public async Task Inpaint_KeepsTheUnmaskedRegionExactly_AndRedrawsTheMaskedOne()
    {
        using var generator = Generator();
        var original = TinyModels.Gray(TinyModels.DigitPng()).Pixels;
        var options = With(2, ("seed", 4L), ("mask", new DataContent(TinyModels.LowerHalfMask(), "image/png")));
        var response = await generator.EditImageAsync(new DataContent(TinyModels.DigitPng(), "image/png"), "1", options);
        response.Contents.Should().HaveCount(2);
        foreach (var content in response.Contents.Cast<DataContent>())
        {
            var pixels = TinyModels.Gray(content.Data).Pixels;
            pixels.Take(14 * 28).Should().Equal(original.Take(14 * 28), "the known upper half is the original at the clean level");
            pixels.Skip(14 * 28).Should().NotEqual(original.Skip(14 * 28));
        }
    }

    [Fact]
    public async Task BadUploads_AreRejected_NamingTheImage()
    {
        using var generator = Generator();
        var png = TinyModels.DigitPng();
        async Task<ImageGenerationRequestException> Reject(IEnumerable<AIContent> originals, ImageGenerationOptions? o = null)
            => (await FluentActions.Awaiting(() => generator.GenerateAsync(new ImageGenerationRequest("7", originals), o)).Should().ThrowAsync<ImageGenerationRequestException>()).Which;

        (await Reject([new DataContent(png.AsMemory(0, png.Length / 2).ToArray(), "image/png")])).Should().Match<ImageGenerationRequestException>(e => e.Property == "OriginalImages[0]" && e.InnerException is Diffusion.Net.Imaging.InvalidImageException);
        (await Reject([new DataContent(png, "image/png"), new DataContent("not an image"u8.ToArray(), "image/png")])).Property.Should().Be("OriginalImages[1]");
        (await Reject([new DataContent("hello"u8.ToArray(), "text/plain")])).Message.Should().Contain("not an image");
        (await Reject([new UriContent("https://example.com/7.png", "image/png")])).Message.Should().Contain("not fetched");
        (await Reject([new DataContent(png, "image/png")], With(1, ("mask", "%%%")))).Property.Should().Be("AdditionalProperties[\"mask\"]");
        using var small = Generator(new DiffusionImageGeneratorOptions { DefaultSampler = Fast, MaxImageBytes = 50 });
        (await FluentActions.Awaiting(() => small.EditImageAsync(new DataContent(png, "image/png"), "7")).Should().ThrowAsync<ImageGenerationRequestException>())
            .Which.Message.Should().Contain("limit");
    }

    [Fact]
    public async Task Anagram_MakesCountImages_ReproduciblyPerSeed_AndDiffersFromThePlainDigit()
    {
        using var generator = Generator();
        var options = With(2, ("seed", 6L), ("anagram_prompt", "9"));
        var a = await generator.GenerateImagesAsync("6", options);
        var b = await generator.GenerateImagesAsync("6", options);
        var plain = await generator.GenerateImagesAsync("6", With(2, ("seed", 6L), ("sampler", "ddpm")));
        a.Contents.Should().HaveCount(2);
        ((DataContent)a.Contents[0]).Data.ToArray().Should().Equal(((DataContent)b.Contents[0]).Data.ToArray());
        ((DataContent)a.Contents[0]).Data.ToArray().Should().NotEqual(((DataContent)plain.Contents[0]).Data.ToArray());
        (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("", options)).Should().ThrowAsync<ImageGenerationRequestException>()).Which.Property.Should().Be("Prompt");
        (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("6", With(1, ("anagram_prompt", "9"), ("anagram_view", "spin")))).Should().ThrowAsync<ImageGenerationRequestException>())
            .Which.Property.Should().Be("AdditionalProperties[\"anagram_view\"]");
    }

    [Fact]
    public async Task FlowModels_AreServedWithTheirOwnSamplers()
    {
        using var flow = TinyModels.Mnist(objective: MnistObjective.Flow);
        using var generator = new MnistImageGenerator(flow);
        generator.Metadata.DefaultSampler.Should().Be("euler-20", "a flow model's default is CS180's Euler sampler");
        var r = await generator.GenerateImagesAsync("4", With(1, ("steps", 3)));
        r.Contents.Should().ContainSingle();
        (await FluentActions.Awaiting(() => generator.GenerateImagesAsync("4", With(1, ("sampler", "ddim-3")))).Should().ThrowAsync<ImageGenerationRequestException>())
            .Which.Message.Should().Contain("flow");
    }

    [Fact]
    public void GetService_ReturnsTheMetadata()
    {
        using var generator = Generator(new DiffusionImageGeneratorOptions { ModelId = "my-mnist", MaxCount = 8, DefaultSampler = Fast });
        var metadata = generator.GetService<ImageGeneratorMetadata>();
        metadata.Should().NotBeNull();
        metadata!.ProviderName.Should().Be("diffusion-net");
        metadata.DefaultModelId.Should().Be("my-mnist");
        var ours = metadata.Should().BeOfType<DiffusionImageGeneratorMetadata>().Subject;
        ours.DefaultImageSize.Should().Be(new Size(28, 28));
        ours.MaxCount.Should().Be(8);
        ours.DefaultSampler.Should().Be(Fast);
        generator.GetService<ClassConditionalUNet>().Should().BeSameAs(_model);
        generator.GetService(typeof(ImageGeneratorMetadata), "key").Should().BeNull();
    }

    [Fact]
    public void InvalidOptions_AreRejectedAtConstruction_NamingEachOne()
        => FluentActions.Invoking(() => new MnistImageGenerator(_model, new DiffusionImageGeneratorOptions { MaxConcurrency = 0, DefaultStrength = 2 }))
            .Should().Throw<ArgumentException>().WithMessage("*MaxConcurrency*DefaultStrength*");

    [Fact]
    public async Task AtMostMaxConcurrencyRequestsRun_TheOthersWait_AndAWaitingOneCanBeCancelled()
    {
        using var generator = Generator(new DiffusionImageGeneratorOptions { DefaultSampler = Fast, MaxConcurrency = 1 });
        var release = new TaskCompletionSource();
        int started = 0;
        generator.Gate.RunStarting = async ct => { Interlocked.Increment(ref started); await release.Task.WaitAsync(ct); };
        var first = generator.GenerateImagesAsync("1");
        await WaitUntil(() => Volatile.Read(ref started) == 1);
        var second = generator.GenerateImagesAsync("2");
        using var cancel = new CancellationTokenSource();
        var third = generator.GenerateImagesAsync("3", cancellationToken: cancel.Token);
        await Task.Delay(200);
        Volatile.Read(ref started).Should().Be(1, "the second and third wait for the slot");
        cancel.Cancel();
        await FluentActions.Awaiting(() => third).Should().ThrowAsync<OperationCanceledException>();
        release.SetResult();
        (await first).Contents.Should().ContainSingle();
        (await second).Contents.Should().ContainSingle();
        generator.Gate.Peak.Should().Be(1);
        started.Should().Be(2);
    }

    [Fact]
    public async Task WithALimitOfTwo_TwoRequestsRunTogether()
    {
        using var generator = Generator(new DiffusionImageGeneratorOptions { DefaultSampler = Fast, MaxConcurrency = 2 });
        var bothIn = new TaskCompletionSource();
        int started = 0;
        generator.Gate.RunStarting = async ct => { if (Interlocked.Increment(ref started) == 2) bothIn.SetResult(); await bothIn.Task.WaitAsync(ct); };
        var runs = await Task.WhenAll(generator.GenerateImagesAsync("1"), generator.GenerateImagesAsync("2")).WaitAsync(TimeSpan.FromSeconds(30));
        runs.Should().HaveCount(2);
        generator.Gate.Peak.Should().Be(2);
    }

    [Fact]
    public async Task EachRequest_IsLoggedAtDebug()
    {
        var logger = new CapturingLogger<MnistImageGenerator>();
        using var generator = Generator(logger: logger);
        await generator.GenerateImagesAsync("5", With(2, ("seed", 9L)));
        logger.Entries.Should().HaveCount(2).And.OnlyContain(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Debug);
        logger.Entries[0].Message.Should().Contain("digit 5").And.Contain("2 image(s)").And.Contain("dpm++2m-3").And.Contain("seed 9");
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 600 && !condition(); i++) await Task.Delay(50);
        condition().Should().BeTrue();
    }
}

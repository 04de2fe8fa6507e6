using Diffusion.Net.Extensions.AI.Mnist;
using FluentAssertions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Diffusion.Net.Extensions.AI.Tests;

/// <summary>docs/getting-started-extensions-ai.md's two snippets, as written there but for the tiny model's path and width.</summary>
[Collection(nameof(TrainedMnistCollection))]
public sealed class GettingStartedTests(TrainedMnistFixture fixture)
{
    [Fact]
    public async Task ADigitInTenLines()
    {
        using var folder = new TempFolder();
        using var model = MnistImageGenerator.LoadModel(fixture.WeightsPath, hidden: 4);
        using IImageGenerator generator = new MnistImageGenerator(model);
        var response = await generator.GenerateImagesAsync("a 7", new ImageGenerationOptions
        {
            Count = 4,
            AdditionalProperties = new() { ["seed"] = 42L },
        });
        foreach (var image in response.Contents.OfType<DataContent>())
            await image.SaveToAsync(Path.Combine(folder.Path, image.Name!));
        Directory.GetFiles(folder.Path).Select(Path.GetFileName).Should().BeEquivalentTo("mnist-42-0.png", "mnist-42-1.png", "mnist-42-2.png", "mnist-42-3.png");
    }

    [Fact]
    public async Task ThroughDependencyInjection()
    {
        var services = new ServiceCollection();
        services.AddDiffusion(o => o.Threads = 2)
            .AddMnist()
            .AddImageGenerator(o =>
            {
                o.ModelPath = fixture.WeightsPath;
                o.Hidden = 4;
                o.MaxConcurrency = 1;
            });
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IImageGenerator>();
        (await generator.GenerateImagesAsync("seven", new ImageGenerationOptions { AdditionalProperties = new() { ["steps"] = 2 } })).Contents.Should().ContainSingle();
    }
}

using Diffusion.Net.DeepFloyd.Hosting;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

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
}

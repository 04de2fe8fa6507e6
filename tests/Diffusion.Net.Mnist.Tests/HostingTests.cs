using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Hosting;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Diffusion.Net.Mnist.Tests;

public class HostingTests
{
    [Fact]
    public async Task AddMnist_ProvidesTheDatasets()
    {
        var services = new ServiceCollection();
        services.AddDiffusion().AddMnist();
        await using var provider = services.BuildServiceProvider();
        var test = await provider.GetRequiredService<MnistDataProvider>().LoadAsync(MnistSplit.Test);
        test.Count.Should().Be(10_000);
    }

    [Fact]
    public void AddMnist_WithAMissingFolder_FailsValidation()
    {
        var services = new ServiceCollection();
        services.AddDiffusion().AddMnist(o => o.Directory = "/nonexistent/mnist");
        using var provider = services.BuildServiceProvider();
        FluentActions.Invoking(() => provider.GetRequiredService<IOptions<MnistDataOptions>>().Value)
            .Should().Throw<OptionsValidationException>().WithMessage("*Directory does not exist*");
    }
}

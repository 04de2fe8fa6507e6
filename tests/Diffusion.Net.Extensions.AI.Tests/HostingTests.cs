using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Extensions.AI.DeepFloyd;
using Diffusion.Net.Extensions.AI.Mnist;
using FluentAssertions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Extensions.AI.Tests;

[Collection(nameof(TrainedMnistCollection))]
public sealed class HostingTests(TrainedMnistFixture fixture)
{
    [Fact]
    public async Task AddMnist_AddImageGenerator_ResolvesTheMnistGenerator_WhichLoadsTheWeightsOnFirstUse()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddDiffusion().AddMnist().AddImageGenerator(o => { o.ModelPath = fixture.WeightsPath; o.Hidden = 4; o.DefaultSampler = "dpm++2m-3"; });
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var generator = provider.GetRequiredService<IImageGenerator>();
        generator.Should().BeOfType<MnistImageGenerator>();
        provider.GetRequiredService<IImageGenerator>().Should().BeSameAs(generator);
        generator.GetService<Diffusion.Net.Mnist.Models.ClassConditionalUNet>().Should().BeNull("nothing is loaded before the first request");
        var response = await generator.GenerateImagesAsync("a 7", new ImageGenerationOptions { Count = 2, AdditionalProperties = new() { ["seed"] = 1L } });
        response.Contents.Should().HaveCount(2);
        using var direct = new MnistImageGenerator(fixture.Model, new DiffusionImageGeneratorOptions { DefaultSampler = "dpm++2m-3" });
        var same = await direct.GenerateImagesAsync("a 7", new ImageGenerationOptions { Count = 2, AdditionalProperties = new() { ["seed"] = 1L } });
        ((DataContent)response.Contents[1]).Data.ToArray().Should().Equal(((DataContent)same.Contents[1]).Data.ToArray(), "the file holds the same weights");
    }

    [Fact]
    public async Task AMissingWeightsFile_FailsTheRequest_NamingTheOption_AndALaterRequestRetries()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "model.safetensors");
        var services = new ServiceCollection();
        services.AddDiffusion().AddMnist().AddImageGenerator(o => { o.ModelPath = path; o.Hidden = 4; o.DefaultSampler = "dpm++2m-3"; });
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IImageGenerator>();
        await FluentActions.Awaiting(() => generator.GenerateImagesAsync("7")).Should().ThrowAsync<FileNotFoundException>().WithMessage("*ModelPath*");
        File.Copy(fixture.WeightsPath, path);
        (await generator.GenerateImagesAsync("7")).Contents.Should().ContainSingle("a server that trains after start serves once the file exists");
    }

    [Fact]
    public async Task AddDeepFloyd_AddImageGenerator_ResolvesTheIFGenerator_WithTheEmbeddingStore()
    {
        using var folder = new TinyIFFolder();
        using var store = new PromptEmbeddings();
        random.manual_seed(3);
        store.Add("", randn(1, 77, 32));
        store.Add("a rocket ship", randn(1, 77, 32));
        var storePath = Path.Combine(folder.Root, "prompts.safetensors");
        store.Save(storePath);
        var services = new ServiceCollection();
        services.AddDiffusion().AddDeepFloyd(o => { o.Stage1Folder = folder.Root; o.EmbeddingsPath = storePath; }).AddImageGenerator(o => o.DefaultSteps = 3);
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IImageGenerator>();
        generator.Should().BeOfType<DeepFloydImageGenerator>();
        var response = await generator.GenerateImagesAsync("a rocket ship");
        response.Contents.Should().ContainSingle().Which.Should().BeOfType<DataContent>().Which.MediaType.Should().Be("image/png");
        generator.GetService<ImageGeneratorMetadata>()!.DefaultModelId.Should().Be(Path.GetFileName(folder.Root));
    }

    [Fact]
    public void Validation_NamesWhatIsMissing()
    {
        static string Failure(Action<IServiceCollection> configure)
        {
            var services = new ServiceCollection();
            configure(services);
            using var provider = services.BuildServiceProvider();
            return FluentActions.Invoking(() => provider.GetRequiredService<IOptions<DiffusionImageGeneratorOptions>>().Value)
                .Should().Throw<OptionsValidationException>().Which.Message;
        }
        Failure(s => s.AddDiffusion().AddMnist().AddImageGenerator()).Should().Contain("ModelPath is required");
        Failure(s => s.AddDiffusion().AddImageGenerator(o => o.ModelPath = "x")).Should().Contain("AddMnist() or AddDeepFloyd");
        Failure(s => s.AddDiffusion().AddMnist().AddDeepFloyd(o => o.Stage1Folder = "/nonexistent").AddImageGenerator()).Should().Contain("set DiffusionImageGeneratorOptions.Model");
        Failure(s => s.AddDiffusion().AddMnist().AddImageGenerator(o => { o.ModelPath = "x"; o.Recipe = "denoiser"; })).Should().Contain("not a class-conditioned recipe");
        Failure(s => s.AddDiffusion().AddMnist().AddImageGenerator(o => { o.ModelPath = "x"; o.MaxConcurrency = 0; o.Model = "sd"; })).Should().Contain("MaxConcurrency").And.Contain("'sd'");
    }

    [Fact]
    public async Task TheLogger_FromTheContainer_GetsDebugEntriesPerRequest()
    {
        var sink = new CapturingLoggerProvider();
        var services = new ServiceCollection().AddLogging(b => b.AddProvider(sink).SetMinimumLevel(LogLevel.Debug));
        services.AddDiffusion().AddMnist().AddImageGenerator(o => { o.ModelPath = fixture.WeightsPath; o.Hidden = 4; o.DefaultSampler = "dpm++2m-3"; });
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IImageGenerator>().GenerateImagesAsync("2");
        sink.Entries.Where(e => e.Category == typeof(MnistImageGenerator).FullName).Should().HaveCount(2).And.OnlyContain(e => e.Level == LogLevel.Debug);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly List<(string Category, LogLevel Level)> _entries = [];

        public IReadOnlyList<(string Category, LogLevel Level)> Entries { get { lock (_entries) return _entries.ToList(); } }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._entries) owner._entries.Add((category, logLevel));
            }
        }
    }
}

using Diffusion.Net.Mnist.Models;
using Xunit;

namespace Diffusion.Net.Extensions.AI.Tests;

/// <summary>One <see cref="TinyModels.TrainedMnist"/> per test run, and its weights on disk for the DI tests.</summary>
public sealed class TrainedMnistFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public TrainedMnistFixture()
    {
        Model = TinyModels.TrainedMnist();
        WeightsPath = TinyModels.SaveMnist(Model, _folder.Path);
    }

    public ClassConditionalUNet Model { get; }

    public string WeightsPath { get; }

    public void Dispose()
    {
        Model.Dispose();
        _folder.Dispose();
    }
}

[CollectionDefinition(nameof(TrainedMnistCollection))]
public sealed class TrainedMnistCollection : ICollectionFixture<TrainedMnistFixture>;

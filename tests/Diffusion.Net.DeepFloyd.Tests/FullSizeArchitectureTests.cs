using System.Text.Json;
using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.DeepFloyd.Text;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// The full-size architectures, built on the meta device (no memory) from the configs in <c>full_size_keys/</c>, have
/// exactly diffusers'/transformers' state-dict keys, shapes and parameter counts.
/// </summary>
public sealed class FullSizeArchitectureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-fullsize").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string ExtractConfig(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("full_size_keys", $"{model}.config.json")));
        var path = Path.Combine(_dir, model, "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, doc.RootElement.GetProperty("config").GetRawText());
        return path;
    }

    private static (List<(string Key, long[] Shape)> Entries, long Parameters) Expected(string model)
    {
        var lines = File.ReadAllLines(Fixtures.Path("full_size_keys", $"{model}.keys.txt"));
        var header = lines[0];
        long parameters = long.Parse(header.Split(", ")[1].Split(' ')[0]);
        var entries = lines.Where(l => !l.StartsWith('#') && l.Length > 0).Select(l =>
        {
            var parts = l.Split('\t');
            parts[1].Should().Be("float32");
            return (parts[0], JsonSerializer.Deserialize<long[]>(parts[2])!);
        }).ToList();
        return (entries, parameters);
    }

    [Theory]
    [InlineData("IF-I-XL-v1.0", 775, 4_304_695_110)]
    [InlineData("IF-I-L-v1.0", 775, 935_365_830)]
    [InlineData("IF-I-M-v1.0", 775, 371_605_830)]
    [InlineData("IF-II-L-v1.0", 939, 1_243_277_190)]
    [InlineData("IF-II-M-v1.0", 939, 482_483_334)]
    public void UNet_OnTheMetaDevice_HasExactlyTheDiffusersKeysShapesAndParameterCount(string model, int entries, long parameters)
    {
        var (expected, expectedParameters) = Expected(model);
        expected.Should().HaveCount(entries);
        expectedParameters.Should().Be(parameters);
        var config = IFUNetConfig.Load(ExtractConfig(model));
        using var unet = new IFUNet(config, WeightAllocation.Meta);
        var actual = unet.state_dict();
        actual.Keys.Should().BeEquivalentTo(expected.Select(e => e.Key));
        foreach (var (key, shape) in expected) actual[key].shape.Should().Equal(shape, key);
        unet.ParameterCount.Should().Be(parameters);
        actual.Values.Should().OnlyContain(t => t.device_type == TorchSharp.DeviceType.META, "nothing is allocated");
    }

    [Fact]
    public void T5XxlEncoder_OnTheMetaDevice_HasExactlyTheTransformersKeysShapesAndParameterCount()
    {
        var (expected, parameters) = Expected("t5-v1_1-xxl-encoder");
        expected.Should().HaveCount(220);
        var config = T5Config.Load(ExtractConfig("t5-v1_1-xxl-encoder"));
        using var t5 = new T5EncoderModel(config, WeightAllocation.Meta);
        var actual = t5.state_dict();
        actual.Keys.Should().BeEquivalentTo(expected.Select(e => e.Key), "shared.weight and encoder.embed_tokens.weight are both listed");
        foreach (var (key, shape) in expected) actual[key].shape.Should().Equal(shape, key);
        t5.ParameterCount.Should().Be(parameters).And.Be(4_762_310_656);
    }
}

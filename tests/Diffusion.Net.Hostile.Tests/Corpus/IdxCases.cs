using System.Buffers.Binary;
using System.IO.Compression;
using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Data;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>MNIST IDX files, raw and gzipped: header and byte mutations, issue 20 #11 and #12.</summary>
internal static class IdxCases
{
    private static readonly Lazy<byte[]> Images = new(() => ImagesFile(3, 28, 28));
    private static readonly Lazy<byte[]> Labels = new(() => LabelsFile(3, 7));

    public static IEnumerable<HostileCase> Create()
    {
        for (int i = 0; i < 50; i++)
        {
            int n = i;
            yield return new($"idx-images-bytes-{n:D2}", "IdxReader.ReadImages", Expectation.AcceptOrReject, dir => IdxReader.ReadImages(Files.Write(dir, "images", Mutator.Mutate(Images.Value, n)), null, null).Pixels);
            yield return new($"idx-labels-bytes-{n:D2}", "IdxReader.ReadLabels", Expectation.AcceptOrReject, dir => IdxReader.ReadLabels(Files.Write(dir, "labels", Mutator.Mutate(Labels.Value, n))));
        }
        for (int i = 0; i < 30; i++)
        {
            int n = i;
            yield return new($"idx-gzip-bytes-{n:D2}", "IdxReader.ReadImages", Expectation.AcceptOrReject, dir => IdxReader.ReadImages(Files.Write(dir, "images.gz", Mutator.Mutate(Gzip(Images.Value), n))).Pixels);
        }
        yield return new("D12-count-2^30-rows-2^30", "IdxReader.ReadImages", Expectation.Reject,
            dir => IdxReader.ReadImages(Files.Write(dir, "images", Header(0x803, 1 << 30, 1 << 30, 1 << 30)), null, null), nameof(MnistFormatException));
        yield return new("D12-count-over-budget", "IdxReader.ReadImages", Expectation.Reject,
            dir => IdxReader.ReadImages(Files.Write(dir, "images", Header(0x803, int.MaxValue, 28, 28))), nameof(MnistFormatException), ["MaxIdxItems"]);
        yield return new("D12-two-member-gzip", "IdxReader.ReadImages", Expectation.Accept, dir =>
        {
            var raw = Images.Value;
            return IdxReader.ReadImages(Files.Write(dir, "images.gz", [.. Gzip(raw[..1000]), .. Gzip(raw[1000..])])).Pixels;
        });
        yield return new("D12-gzip-bomb", "IdxReader.ReadImages", Expectation.Reject,
            dir => IdxReader.ReadImages(Files.Write(dir, "images.gz", Gzip(new byte[8 << 20])), limits: InputLimits.Default with { MaxDecompressedBytes = 1 << 20 }),
            nameof(MnistFormatException), ["decompresses"]);
        yield return new("D12-failed-load-not-cached", "MnistDataset.LoadAsync", Expectation.Accept, dir =>
        {
            foreach (var (name, _, _) in MnistFiles.All) Files.Write(dir, name, name.Contains("images", StringComparison.Ordinal) ? Images.Value : Labels.Value);
            Files.Write(dir, "t10k-images-idx3-ubyte", [1, 2, 3]);
            var options = new MnistSourceOptions { Directory = dir, AllowDownload = false, AllowNpm = false };
            try
            {
                MnistDataset.LoadAsync(MnistSplit.Test, options).GetAwaiter().GetResult();
                throw new InvalidOperationException("the broken file loaded");
            }
            catch (MnistFormatException) { }
            Files.Write(dir, "t10k-images-idx3-ubyte", Images.Value);
            return MnistDataset.LoadAsync(MnistSplit.Test, options).GetAwaiter().GetResult().Count == 3 ? null : throw new InvalidOperationException("wrong count");
        });
        yield return new("D11-idx-dev-zero", "IdxReader.ReadImages", Expectation.Reject, dir => IdxReader.ReadImages(Files.Link(dir, "images", "/dev/zero")), nameof(InvalidInputException));
        yield return new("D11-idx-fifo", "IdxReader.ReadLabels", Expectation.Reject, dir => IdxReader.ReadLabels(Files.Fifo(dir, "labels")), nameof(InvalidInputException));
        yield return new("idx-magic-not-echoed", "IdxReader.ReadImages", Expectation.Reject,
            dir => IdxReader.ReadImages(Files.Write(dir, "images", "root:x:0:0:root:/root:/bin/bash\n"u8.ToArray())), nameof(MnistFormatException), null, ["root:", "726F6F74", "0x726F"]);
        yield return new("idx-valid-seed", "IdxReader.ReadImages", Expectation.Accept, dir => IdxReader.ReadImages(Files.Write(dir, "images", Images.Value)).Pixels);
    }

    private static byte[] Header(int magic, int count, int rows, int columns)
    {
        var h = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(h, magic);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(12), columns);
        return h;
    }

    private static byte[] ImagesFile(int count, int rows, int columns)
        => [.. Header(0x803, count, rows, columns), .. Enumerable.Range(0, count * rows * columns).Select(i => (byte)(i * 7))];

    private static byte[] LabelsFile(int count, int seed)
    {
        var h = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(h, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4), count);
        return [.. h, .. Enumerable.Range(0, count).Select(i => (byte)((i + seed) % 10))];
    }

    private static byte[] Gzip(byte[] data)
    {
        var s = new MemoryStream();
        using (var z = new GZipStream(s, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(data);
        return s.ToArray();
    }
}

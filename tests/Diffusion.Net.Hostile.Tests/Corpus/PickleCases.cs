using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.IO;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>CS180's <c>prompt_embeds_dict.pth</c> import: zip and pickle mutations, issue 20 #4 and #7.</summary>
internal static class PickleCases
{
    private const string Target = "PromptEmbeddings.ImportPth";
    private static readonly Lazy<byte[]> Seed = new(PthBuilder.Valid);

    public static IEnumerable<HostileCase> Create()
    {
        for (int i = 0; i < 90; i++)
        {
            int n = i;
            yield return new($"pth-zip-bytes-{n:D3}", Target, Expectation.AcceptOrReject, dir => Import(Files.Write(dir, "m.pth", Mutator.Mutate(Seed.Value, n))));
        }
        var entries = new PthBuilder.Entry[] { new("a", 32, 0, [1, 4, 8], [32, 8, 1]), new("b", 32, 0, [1, 4, 8], [32, 8, 1]) };
        for (int i = 0; i < 90; i++)
        {
            int n = i;
            // The pickle program mutated, then zipped with correct CRCs: these reach the interpreter.
            yield return new($"pth-pickle-bytes-{n:D3}", Target, Expectation.AcceptOrReject,
                dir => Import(Files.Write(dir, "m.pth", PthBuilder.Zip(Mutator.Mutate(PthBuilder.Pickle(entries), n + 1000), entries))));
        }
        yield return R("D04-zero-stride-bomb", [new("a", 4, 0, [1, 65536, 65536], [0, 0, 0])], "elements");
        yield return R("D04-stride-overflow", [new("a", 4, 0, [1L << 40, 1L << 40], [1L << 40, 1L << 40])], "overflows");
        yield return R("D04-view-past-storage", [new("a", 4, 2, [4], [1])], "reaches element");
        yield return R("D04-negative-offset", [new("a", 4, -1, [1], [1])], "negative");
        yield return new("D04-repeated-views-over-budget", Target, Expectation.Reject, dir => PromptEmbeddings.ImportPth(
            Files.Write(dir, "m.pth", PthBuilder.Build(Enumerable.Range(0, 5).Select(i => new PthBuilder.Entry($"v{i}", 4, 0, [1, 1 << 9, 1 << 9], [0, 0, 0])).ToArray())),
            InputLimits.Default with { MaxTensorElements = 1 << 20 }), nameof(TorchFileFormatException), ["MaxTensorElements"]);
        yield return new("D07-byteorder-64MB-of-spaces", Target, Expectation.Reject,
            dir => Import(Files.Write(dir, "m.pth", PthBuilder.Build(entries, Enumerable.Repeat((byte)' ', 64 << 20).ToArray(), compress: true))), nameof(TorchFileFormatException), ["byteorder"]);
        yield return new("D07-big-endian", Target, Expectation.Reject, dir => Import(Files.Write(dir, "m.pth", PthBuilder.Build(entries, "big"u8.ToArray()))), nameof(TorchFileFormatException));
        yield return new("D07-string-length-2^31", Target, Expectation.Reject, dir => Import(Files.Write(dir, "m.pth", PthBuilder.Zip([0x80, 2, (byte)'X', 0, 0, 0, 0x80, (byte)'.'], entries))), nameof(TorchFileFormatException), ["truncated"]);
        yield return new("D07-string-length-2^63", Target, Expectation.Reject, dir => Import(Files.Write(dir, "m.pth", PthBuilder.Zip([0x80, 2, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80, (byte)'.'], entries))), nameof(TorchFileFormatException), ["truncated"]);
        yield return new("D07-crc-mismatch", Target, Expectation.Reject, dir => Import(Files.Write(dir, "m.pth", FlipLastStorageByte(Seed.Value))), nameof(TorchFileFormatException), ["CRC"]);
        yield return new("D07-bzip2-member-names-file", Target, Expectation.Reject, dir => Import(Files.Write(dir, "bz.pth", PthBuilder.WithCompressionMethod(Seed.Value, 12))), nameof(TorchFileFormatException), ["bz.pth"]);
        yield return new("D07-lzma-member-names-file", Target, Expectation.Reject, dir => Import(Files.Write(dir, "lz.pth", PthBuilder.WithCompressionMethod(Seed.Value, 14))), nameof(TorchFileFormatException), ["lz.pth"]);
        yield return new("pth-evil-global", Target, Expectation.Reject, dir => Import(Files.Write(dir, "m.pth", PthBuilder.Zip([0x80, 2, .. "cos\nsystem\n(X"u8, 4, 0, 0, 0, .. "echotR."u8], entries))), nameof(TorchFileFormatException), ["os.system"]);
        yield return new("pth-legacy-pickle", Target, Expectation.Reject, dir => Import(Files.Write(dir, "m.pth", [0x80, 2, (byte)'}', (byte)'.'])), nameof(TorchFileFormatException));
        yield return new("pth-dev-zero", Target, Expectation.Reject, dir => Import(Files.Link(dir, "z.pth", "/dev/zero")), nameof(InvalidInputException));
        yield return new("pth-valid-seed", Target, Expectation.Accept, dir => Import(Files.Write(dir, "m.pth", Seed.Value)));
    }

    private static HostileCase R(string id, PthBuilder.Entry[] entries, string fragment)
        => new(id, Target, Expectation.Reject, dir => Import(Files.Write(dir, "m.pth", PthBuilder.Build(entries))), nameof(TorchFileFormatException), [fragment]);

    private static PromptEmbeddings Import(string path) => PromptEmbeddings.ImportPth(path);

    /// <summary>Flips a byte of the last stored (uncompressed) storage member, leaving the zip's CRC stale.</summary>
    private static byte[] FlipLastStorageByte(byte[] zip)
    {
        var d = (byte[])zip.Clone();
        int central = -1;
        for (int i = d.Length - 4; i >= 0; i--) if (d[i] == 0x50 && d[i + 1] == 0x4B && d[i + 2] == 1 && d[i + 3] == 2) central = i;
        // The version member ("3\n") precedes the central directory; the last storage's data ends just before its header.
        int versionHeader = -1;
        for (int i = central - 4; i >= 0; i--) if (d[i] == 0x50 && d[i + 1] == 0x4B && d[i + 2] == 3 && d[i + 3] == 4) { versionHeader = i; break; }
        d[versionHeader - 1] ^= 0x40;
        return d;
    }
}

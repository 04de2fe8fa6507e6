using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.IO;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>SentencePiece models: mutations of a real <c>spiece.model</c>, tiny hand-built protobufs (issue 20 #8).</summary>
internal static class TokenizerCases
{
    private const string Target = "T5Tokenizer.Load + EncodeForModel";
    private static readonly Lazy<byte[]> Seed = new(() => Files.Seed("spiece.model"));

    public static IEnumerable<HostileCase> Create()
    {
        for (int i = 0; i < 80; i++)
        {
            int n = i;
            yield return new($"spiece-bytes-{n:D2}", Target, Expectation.AcceptOrReject, dir => Load(Files.Write(dir, "spiece.model", Mutator.Mutate(Seed.Value, n))));
        }
        foreach (var fraction in new[] { 0.0001, 0.001, 0.01, 0.1, 0.5, 0.9, 0.999 })
            yield return new($"spiece-truncated-{fraction}", Target, Expectation.AcceptOrReject, dir => Load(Files.Write(dir, "spiece.model", Mutator.Truncate(Seed.Value, fraction))));
        byte[] Piece(string text, float score, int type) => Field(1, [.. Field(1, System.Text.Encoding.UTF8.GetBytes(text)), .. Tag(2, 5), .. BitConverter.GetBytes(score), .. Tag(3, 0), (byte)type]);
        byte[] Pieces() => [.. Piece("<pad>", 0, 3), .. Piece("</s>", 0, 3), .. Piece("<unk>", 0, 2)];
        var tiny = new (string Name, Func<byte[]> Bytes)[]
        {
            ("D08-three-pieces-no-specs", Pieces),
            ("D08-empty-trainer-spec", () => [.. Pieces(), .. Field(2, [])]),
            ("D08-empty-specs", () => [.. Pieces(), .. Field(2, []), .. Field(3, [])]),
            ("D08-unigram-no-normalizer", () => [.. Pieces(), .. Field(2, [.. Tag(3, 0), 1])]),
            ("D08-bos-minus-one", () => [.. Pieces(), .. Field(2, [.. Tag(3, 0), 1, .. Tag(41, 0), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]), .. Field(3, [])]),
            ("D08-length-2^64", () => [.. Pieces(), 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            ("D08-length-2^31", () => [.. Pieces(), 0x12, 0x80, 0x80, 0x80, 0x80, 0x08]),
            ("D08-fixed64-at-end", () => [.. Pieces(), 0x09, 1, 2]),
            ("D08-overlong-varint", () => [.. Pieces(), 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            ("D08-wire-type-7", () => [.. Pieces(), 0x0F]),
            ("D08-no-pieces", () => [.. Field(2, [.. Tag(3, 0), 1])]),
            ("D08-invalid-utf8-piece", () => [.. Pieces(), .. Field(1, [.. Field(1, [0xC3, 0x28]), .. Tag(2, 5), 0, 0, 0, 0])]),
            ("D08-negative-piece-type", () => [.. Pieces(), .. Field(1, [.. Field(1, "x"u8.ToArray()), .. Tag(3, 0), 0xFF, 0xFF, 0xFF, 0xFF, 0x0F])]),
        };
        foreach (var (name, bytes) in tiny)
            yield return new(name, Target, Expectation.AcceptOrReject, dir => Load(Files.Write(dir, "spiece.model", bytes())));
        yield return new("D08-model-fifo", Target, Expectation.Reject, dir => Load(Files.Fifo(dir, "spiece.model")), nameof(ModelConfigException));
        yield return new("spiece-valid-seed", Target, Expectation.Accept, dir => Load(Files.Write(dir, "spiece.model", Seed.Value)));
    }

    private static object? Load(string path)
    {
        var tokenizer = T5Tokenizer.Load(path);
        _ = tokenizer.EncodeForModel("a photo of <extra_id_0> an oil painting, 123 ünïcödé");
        return null;
    }

    private static byte[] Tag(int field, int wire) => Varint((ulong)(field << 3 | wire));

    private static byte[] Field(int field, byte[] body) => [.. Tag(field, 2), .. Varint((ulong)body.Length), .. body];

    private static byte[] Varint(ulong v)
    {
        var bytes = new List<byte>();
        while (v >= 0x80) { bytes.Add((byte)(v | 0x80)); v >>= 7; }
        bytes.Add((byte)v);
        return [.. bytes];
    }
}

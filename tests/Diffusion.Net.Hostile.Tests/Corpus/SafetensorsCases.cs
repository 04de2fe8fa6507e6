using System.Text;
using Diffusion.Net.IO;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>Safetensors files and sharded indexes: byte and header-text mutations of a valid file, special files, issue 20 #10 and #11.</summary>
internal static class SafetensorsCases
{
    private const string Target = "SafetensorsFile.Open + ReadAll";

    private static readonly Lazy<byte[]> Seed = new(() => Build(
        """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"I64","shape":[4],"data_offsets":[24,56]},"c":{"dtype":"BF16","shape":[5],"data_offsets":[56,66]}}""", 66));

    private static readonly string[] HostileValues = ["\"0\"", "null", "true", "-1", "1e308", "18446744073709551615", "9223372036854775807", "[]", "{}", "\"\\ud800\"", "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]", "[4294967296,4294967296]", "\"F64\"", "\"X\""];

    public static IEnumerable<HostileCase> Create()
    {
        for (int i = 0; i < 160; i++)
        {
            int n = i;
            yield return new($"safetensors-bytes-{n:D3}", Target, Expectation.AcceptOrReject, dir => Open(Files.Write(dir, "m.safetensors", Mutator.Mutate(Seed.Value, n))));
        }
        for (int i = 0; i < 60; i++)
        {
            int n = i;
            yield return new($"safetensors-header-{n:D3}", Target, Expectation.AcceptOrReject, dir => Open(Files.Write(dir, "m.safetensors", HeaderMutant(n))));
        }
        yield return Reject("D10-offsets-strings", """{"a":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}""", 4, "data_offsets");
        yield return Reject("D10-offsets-null", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[null,null]}}""", 4, "data_offsets");
        yield return Reject("D10-offsets-bool", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[true,false]}}""", 4, "data_offsets");
        yield return Reject("D10-unpaired-surrogate-name", """{"\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "Unicode");
        yield return Reject("D10-unpaired-surrogate-metadata", """{"__metadata__":{"\udc00":"x"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "metadata");
        yield return new("D11-fifo-file", Target, Expectation.Reject, dir => Open(Files.Fifo(dir, "pipe.safetensors")), nameof(InvalidInputException));
        yield return new("D11-fifo-shard", "ShardedSafetensors.Open", Expectation.Reject, dir =>
        {
            Files.Fifo(dir, "shard.safetensors");
            return ShardedSafetensors.Open(Files.WriteText(dir, "model.safetensors.index.json", """{"weight_map":{"a":"shard.safetensors"}}"""));
        }, nameof(InvalidInputException));
        yield return new("D11-passwd-shard-not-echoed", "ShardedSafetensors.Open", Expectation.Reject, dir =>
        {
            Files.Link(dir, "shard.safetensors", "/etc/passwd");
            return ShardedSafetensors.Open(Files.WriteText(dir, "model.safetensors.index.json", """{"weight_map":{"a":"shard.safetensors"}}"""));
        }, nameof(SafetensorsFormatException), ["shard.safetensors"], ["root:", "/bin/", "daemon"]);
        yield return new("D11-symlink-to-fifo", Target, Expectation.Reject, dir => Open(Files.Link(dir, "link.safetensors", Files.Fifo(dir, "pipe"))), nameof(InvalidInputException));
        yield return new("D11-dev-zero", Target, Expectation.Reject, dir => Open(Files.Link(dir, "zero.safetensors", "/dev/zero")), nameof(InvalidInputException));
        yield return new("safetensors-not-json-not-echoed", Target, Expectation.Reject,
            dir => Open(Files.Write(dir, "m.safetensors", [.. BitConverter.GetBytes(14UL), .. "SECRET{content"u8])), nameof(SafetensorsFormatException), null, ["SECRET", "{content"]);
        yield return new("safetensors-index-not-json", "ShardedSafetensors.Open", Expectation.Reject,
            dir => ShardedSafetensors.Open(Files.WriteText(dir, "i.index.json", "{\"weight_map\": [")), nameof(SafetensorsFormatException));
        yield return new("safetensors-index-escapes-folder", "ShardedSafetensors.Open", Expectation.Reject,
            dir => ShardedSafetensors.Open(Files.WriteText(dir, "i.index.json", """{"weight_map":{"a":"../../etc/passwd"}}""")), nameof(SafetensorsFormatException));
        yield return new("safetensors-valid-seed", Target, Expectation.Accept, dir => Open(Files.Write(dir, "m.safetensors", Seed.Value)));
    }

    private static HostileCase Reject(string id, string header, int dataBytes, string fragment)
        => new(id, Target, Expectation.Reject, dir => Open(Files.Write(dir, "m.safetensors", Build(header, dataBytes))), nameof(SafetensorsFormatException), [fragment]);

    private static Dictionary<string, TorchSharp.torch.Tensor> Open(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return file.ReadAll();
    }

    private static byte[] Build(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. new byte[dataBytes]];
    }

    /// <summary>The seed's header with one JSON value (a number, a list or a string) replaced by a hostile one.</summary>
    private static byte[] HeaderMutant(int n)
    {
        var header = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"I64","shape":[4],"data_offsets":[24,56]},"c":{"dtype":"BF16","shape":[5],"data_offsets":[56,66]}}""";
        var random = new Random(n);
        var spots = new List<(int Start, int Length)>();
        for (int i = 0; i < header.Length; i++)
        {
            if (char.IsDigit(header[i]) && (i == 0 || !char.IsDigit(header[i - 1])))
            {
                int j = i;
                while (j < header.Length && char.IsDigit(header[j])) j++;
                spots.Add((i, j - i));
            }
            if (header[i] == '"')
            {
                int j = header.IndexOf('"', i + 1);
                spots.Add((i, j - i + 1));
                i = j;
            }
        }
        var (start, length) = spots[random.Next(spots.Count)];
        var text = header[..start] + HostileValues[random.Next(HostileValues.Length)] + header[(start + length)..];
        return Build(text, 66);
    }
}

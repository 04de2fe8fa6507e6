using System.Text;
using Diffusion.Net.IO;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-st").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void SaveThenOpen_RoundTripsEveryDtype_AndMetadata()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["a.f32"] = randn(3, 4),
            ["b.bf16"] = randn(5).to(ScalarType.BFloat16),
            ["c.f16"] = randn(2, 2).to(ScalarType.Float16),
            ["d.i64"] = tensor(new long[] { 1, -2, 3 }),
            ["e.empty"] = zeros(0, 3),
            ["f.scalar"] = tensor(2.5f),
        };
        SafetensorsWriter.Save(P("x.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        using var file = SafetensorsFile.Open(P("x.safetensors"));
        file.Metadata.Should().ContainKey("format").WhoseValue.Should().Be("pt");
        file.Tensors.Keys.Should().BeEquivalentTo(tensors.Keys);
        foreach (var (name, t) in tensors) TensorAssert.BitIdentical(file.Read(name), t, name);
        TensorAssert.Close(file.Read("b.bf16", ScalarType.Float32), tensors["b.bf16"].to(ScalarType.Float32), 0);
    }

    [Fact]
    public void ReadInto_ConvertsDtype_AndRejectsAWrongShapeByName()
    {
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(P("w.safetensors"), new Dictionary<string, Tensor> { ["w"] = randn(4, 3).to(ScalarType.Float16) });
        using var file = SafetensorsFile.Open(P("w.safetensors"));
        var dest = zeros(4, 3, ScalarType.BFloat16);
        file.ReadInto("w", dest);
        TensorAssert.Close(dest.to(ScalarType.Float32), file.Read("w", ScalarType.Float32), 0.02);
        FluentActions.Invoking(() => file.ReadInto("w", zeros(3, 4))).Should().Throw<WeightsMismatchException>().WithMessage("*w: expected [3, 4] but found [4, 3]*");
    }

    [Fact]
    public void SavingOverALongerFile_LeavesNoStaleBytes()
    {
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(P("s.safetensors"), new Dictionary<string, Tensor> { ["big"] = randn(1000) });
        SafetensorsWriter.Save(P("s.safetensors"), new Dictionary<string, Tensor> { ["small"] = randn(3) });
        using var file = SafetensorsFile.Open(P("s.safetensors"));
        file.Tensors.Keys.Should().Equal("small");
        Directory.GetFiles(_dir).Should().HaveCount(1, "no temporary file is left behind");
    }

    private string WriteRaw(string name, string header, int dataBytes, int? claimedLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        using var s = File.Create(P(name));
        s.Write(BitConverter.GetBytes((ulong)(claimedLength ?? h.Length)));
        s.Write(h);
        s.Write(new byte[dataBytes]);
        return P(name);
    }

    public static TheoryData<string, string, int, int?, string> Hostile() => new()
    {
        { "truncated-data", """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8, null, "*truncated*" },
        { "header-length-lies", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, 1 << 20, "*header length exceeds the*follow*" },
        { "header-too-big", """{}""", 0, int.MaxValue, "*exceeds the limit*" },
        { "bad-json", """{"a": {"dtype": """, 0, null, "*not valid UTF-8 JSON*" },
        { "not-an-object", """[1,2,3]""", 0, null, "*not a JSON object*" },
        { "unknown-dtype", """{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}""", 4, null, "*unknown or unsupported dtype 'F8_E4M3'*" },
        { "size-mismatch", """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}}""", 12, null, "*needs 16 bytes*span 12*" },
        { "overlap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, null, "*overlaps*" },
        { "gap", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, null, "*gap*" },
        { "negative-shape", """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, null, "*non-negative integers*" },
        { "duplicate-key", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, null, "*appears twice*" },
        { "trailing-bytes", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 12, null, "*account for only 4*" },
        // Issue 20 #10: offsets of the wrong JSON kind and unpaired surrogates threw InvalidOperationException.
        { "offsets-strings", """{"a":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}""", 4, null, "*invalid data_offsets*" },
        { "offsets-null", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[null,4]}}""", 4, null, "*invalid data_offsets*" },
        { "offsets-bool", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[false,true]}}""", 4, null, "*invalid data_offsets*" },
        { "unpaired-surrogate", """{"\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, null, "*not valid Unicode*" },
        { "overflowing-shape", """{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}""", 4, null, "*overflows*" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileFiles_AreRejected_WithTheDefectNamed(string name, string header, int dataBytes, int? claimed, string message)
    {
        var path = WriteRaw(name + ".safetensors", header, dataBytes, claimed);
        FluentActions.Invoking(() => SafetensorsFile.Open(path)).Should().Throw<SafetensorsFormatException>().WithMessage(message)
            .Which.FilePath.Should().Be(path);
    }

    [Fact]
    public void TinyFile_IsRejected()
    {
        File.WriteAllBytes(P("tiny.safetensors"), [1, 2, 3]);
        FluentActions.Invoking(() => SafetensorsFile.Open(P("tiny.safetensors"))).Should().Throw<SafetensorsFormatException>().WithMessage("*shorter than the 8-byte header length*");
        FluentActions.Invoking(() => SafetensorsFile.Open(P("missing.safetensors"))).Should().Throw<FileNotFoundException>();
    }

    [Fact]
    public void ShardedIndex_ResolvesTensorsAcrossShards_AndRejectsInconsistentIndexes()
    {
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(P("m-1.safetensors"), new Dictionary<string, Tensor> { ["a"] = ones(2) });
        SafetensorsWriter.Save(P("m-2.safetensors"), new Dictionary<string, Tensor> { ["b"] = zeros(3) });
        File.WriteAllText(P("m.index.json"), """{"metadata":{"total_size":20},"weight_map":{"a":"m-1.safetensors","b":"m-2.safetensors"}}""");
        using (var sharded = ShardedSafetensors.Open(P("m.index.json")))
        {
            sharded.Tensors.Keys.Should().BeEquivalentTo(["a", "b"]);
            sharded.Read("b").shape.Should().Equal(3);
        }
        File.WriteAllText(P("bad.index.json"), """{"weight_map":{"a":"m-2.safetensors","b":"m-2.safetensors"}}""");
        FluentActions.Invoking(() => ShardedSafetensors.Open(P("bad.index.json"))).Should().Throw<SafetensorsFormatException>().WithMessage("*places 'a' in 'm-2.safetensors'*");
        File.WriteAllText(P("escape.index.json"), """{"weight_map":{"a":"../m-1.safetensors"}}""");
        FluentActions.Invoking(() => ShardedSafetensors.Open(P("escape.index.json"))).Should().Throw<SafetensorsFormatException>().WithMessage("*not a plain file name*");
        File.WriteAllText(P("partial.index.json"), """{"weight_map":{"a":"m-1.safetensors"}}""");
        SafetensorsWriter.Save(P("m-1.safetensors"), new Dictionary<string, Tensor> { ["a"] = ones(2), ["z"] = ones(1) });
        FluentActions.Invoking(() => ShardedSafetensors.Open(P("partial.index.json"))).Should().Throw<SafetensorsFormatException>().WithMessage("*holds 'z'*does not list*");
    }

    [Fact]
    public void ModuleWeights_ReportMissingUnexpectedAndMisshaped_BeforeLoadingAnything()
    {
        using var scope = NewDisposeScope();
        var module = TorchSharp.torch.nn.Linear(3, 2);
        var original = module.weight!.clone();
        SafetensorsWriter.Save(P("lin.safetensors"), new Dictionary<string, Tensor> { ["weight"] = randn(3, 2), ["extra"] = zeros(1) });
        using var file = SafetensorsFile.Open(P("lin.safetensors"));
        var ex = FluentActions.Invoking(() => ModuleWeights.Load(module, file)).Should().Throw<WeightsMismatchException>().Which;
        ex.Missing.Should().Equal("bias");
        ex.Unexpected.Should().Equal("extra");
        ex.Misshaped.Should().ContainSingle().Which.Should().Contain("weight: expected [2, 3] but found [3, 2]");
        TensorAssert.BitIdentical(module.weight!, original, "nothing is loaded when validation fails");
    }
}

using System.Text.Json;
using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.IO;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>The T5 tokenizer against transformers' slow T5Tokenizer (legacy) on all 16 fixture cases: ids exact.</summary>
public class TokenizerTests
{
    private static readonly T5Tokenizer Tokenizer = T5Tokenizer.Load(Fixtures.Path("tokenizer_tiny", "spiece.model"));

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Load().GetArrayLength(); i++) data.Add(i);
        return data;
    }

    private static JsonElement Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("tokenizer_tiny", "tokenizer_cases.json")));
        return doc.RootElement.GetProperty("cases").Clone();
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    [Fact]
    public void Vocabulary_HasTheSentinelLayoutOfT5()
    {
        Cases().Count.Should().Be(16);
        Tokenizer.Count.Should().Be(400);
        Tokenizer.EncodeIds("<extra_id_0>").Should().Equal(399, 1);
        Tokenizer.EncodeIds("<extra_id_99>").Should().Equal(300, 1);
        Tokenizer.EncodeIds("").Should().Equal(1);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_MatchesTransformers_Exactly(int index)
    {
        var c = Load()[index];
        var text = c.GetProperty("text").GetString()!;
        Tokenizer.EncodeIds(text).Should().Equal(Ints(c.GetProperty("ids_no_padding")), "ids without padding");
        var (ids, mask) = Tokenizer.EncodeForModel(text);
        ids.Should().Equal(Ints(c.GetProperty("input_ids")), "the IF call's padded ids");
        mask.Should().Equal(Ints(c.GetProperty("attention_mask")), "the IF call's mask");
        var pipelineText = T5Tokenizer.PreprocessForPipeline(text);
        pipelineText.Should().Be(c.GetProperty("pipeline_text").GetString());
        Tokenizer.EncodeForModel(pipelineText).Ids.Should().Equal(Ints(c.GetProperty("pipeline_input_ids")), "the pipelines' lower().strip() path");
        var pieces = c.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray();
        Tokenizer.Tokenize(text).Count.Should().Be(pieces.Length);
    }

    [Fact]
    public void MissingOrCorruptModels_AreRejected()
    {
        FluentActions.Invoking(() => T5Tokenizer.Load("/nonexistent/spiece.model")).Should().Throw<FileNotFoundException>();
        var dir = Directory.CreateTempSubdirectory("dn-tok").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "spiece.model"), [0x12, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2]);
            FluentActions.Invoking(() => T5Tokenizer.Load(Path.Combine(dir, "spiece.model"))).Should().Throw<ModelConfigException>();
        }
        finally { Directory.Delete(dir, true); }
    }
}

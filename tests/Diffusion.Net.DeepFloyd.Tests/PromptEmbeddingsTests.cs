using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

public sealed class PromptEmbeddingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-prompts").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void ImportPth_ReadsACs180StyleDict_WithoutRunningPickleCode()
    {
        using var scope = NewDisposeScope();
        var prompts = new[] { "an oil painting of a snowy mountain village", "a photo of the amalfi cost", "a high quality photo", "", "a rocket ship" };
        var tensors = prompts.Select((p, i) => (p, (randn(1, 77, 16) * (i + 1)).to(ScalarType.Float16))).ToList();
        TorchSaveWriter.Save(P("prompt_embeds_dict.pth"), tensors);

        using var store = PromptEmbeddings.ImportPth(P("prompt_embeds_dict.pth"));
        store.Prompts.Should().Equal(prompts, "order and the misspelt key are kept");
        foreach (var (p, t) in tensors) TensorAssert.Close(store.Get(p), t.to(ScalarType.Float32), 0, because: p);
        store[""].Embeddings.dtype.Should().Be(ScalarType.Float32);

        store.Save(P("embeds.safetensors"));
        using var reloaded = PromptEmbeddings.Load(P("embeds.safetensors"));
        reloaded.Prompts.Should().BeEquivalentTo(prompts);
        TensorAssert.BitIdentical(reloaded.Get(""), store.Get(""));
        reloaded.Batch("a rocket ship", "").Embeddings.shape.Should().Equal(2, 77, 16);
        FluentActions.Invoking(() => reloaded["a photo of the amalfi coast"]).Should().Throw<KeyNotFoundException>().WithMessage("*amalfi cost*");
    }

    [Fact]
    public void ImportPth_RefusesAPickleThatCallsAnythingElse()
    {
        using var scope = NewDisposeScope();
        TorchSaveWriter.Save(P("evil.pth"), [("a", randn(1, 4, 8))], injectGlobal: "os.system");
        FluentActions.Invoking(() => PromptEmbeddings.ImportPth(P("evil.pth"))).Should().Throw<TorchFileFormatException>()
            .WithMessage("*calls os.system*refusing to run it*");
        File.WriteAllBytes(P("legacy.pth"), [0x80, 0x02, 0x8a, 0x0a]);
        FluentActions.Invoking(() => PromptEmbeddings.ImportPth(P("legacy.pth"))).Should().Throw<TorchFileFormatException>().WithMessage("*not a torch.save zip file*");
    }

    [Fact]
    public void Embeddings_MustBeOneByLByD_AndAgree()
    {
        using var store = new PromptEmbeddings();
        using var scope = NewDisposeScope();
        store.Add("a", randn(1, 77, 8));
        FluentActions.Invoking(() => store.Add("b", randn(2, 77, 8))).Should().Throw<ArgumentException>().WithMessage("*[1, L, D]*");
        FluentActions.Invoking(() => store.Add("c", randn(1, 76, 8))).Should().Throw<ArgumentException>().WithMessage("*the others are [1, 77, 8]*");
        FluentActions.Invoking(() => store.Add("d", ones(1, 77, 8, dtype: ScalarType.Int64))).Should().Throw<ArgumentException>().WithMessage("*not floating point*");
    }
}

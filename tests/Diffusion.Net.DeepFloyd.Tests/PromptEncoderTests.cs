using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>Prompt strings → conditions: T5 first, then the store, then a NotSupportedException naming both options.</summary>
public class PromptEncoderTests
{
    [Fact]
    public void WithT5Loaded_EncodesAnyPrompt_AsTheEncoderDoes_AndIgnoresTheStore()
    {
        using var folder = new TinyPipelineFolder(withTextEncoder: true);
        using var model = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32 with { LoadTextEncoder = true });
        model.TextEncoder.Should().NotBeNull();
        using var scope = NewDisposeScope();
        using var store = new PromptEmbeddings();
        store.Add("a rocket ship", zeros(1, 77, 32));
        var encoder = new IFPromptEncoder(model, store);

        encoder.CanEncode("anything at all").Should().BeTrue();
        var one = encoder.Encode("a rocket ship");
        one.Embeddings.shape.Should().Equal(1, 77, 32);
        TensorAssert.BitIdentical(one.Embeddings, model.TextEncoder!.Encode(["a rocket ship"]));
        one.Embeddings.abs().max().item<float>().Should().BeGreaterThan(0, "T5 wins over the store's zeros");
        var batch = encoder.Encode(["a rocket ship", ""]);
        batch.Embeddings.shape.Should().Equal(2, 77, 32);
        TensorAssert.BitIdentical(batch.Embeddings.narrow(0, 0, 1), one.Embeddings);
    }

    [Fact]
    public void WithoutT5_ReadsTheStore_AsGivenOrAsThePipelinesPreprocess_AndTheCallerOwnsACopy()
    {
        using var scope = NewDisposeScope();
        using var store = new PromptEmbeddings();
        store.Add("", randn(1, 77, 8));
        store.Add("a rocket ship", randn(1, 77, 8));
        var encoder = new IFPromptEncoder((T5TextEncoder?)null, store);

        encoder.CanEncode("  A Rocket Ship ").Should().BeTrue();
        var c = encoder.Encode("  A Rocket Ship ");
        TensorAssert.BitIdentical(c.Embeddings, store.Get("a rocket ship"));
        c.Embeddings.Dispose();
        store.Get("a rocket ship").IsInvalid.Should().BeFalse("the store keeps its own tensor");
        var batch = encoder.Encode(["a rocket ship", "", "a rocket ship"]);
        TensorAssert.BitIdentical(batch.Embeddings[2].unsqueeze(0), store.Get("a rocket ship"));
        TensorAssert.BitIdentical(batch.Embeddings[1].unsqueeze(0), store.Get(""));

        encoder.CanEncode("a cat").Should().BeFalse();
        FluentActions.Invoking(() => encoder.Encode(["a rocket ship", "a cat"])).Should().Throw<NotSupportedException>()
            .WithMessage("*\"a cat\" is not in the prompt-embedding store*LoadTextEncoder*Available: \"\", \"a rocket ship\"*");
    }

    [Fact]
    public void WithNeither_ThrowsNotSupported_NamingBothOptions()
    {
        var encoder = new IFPromptEncoder((T5TextEncoder?)null);
        encoder.CanEncode("a rocket ship").Should().BeFalse();
        FluentActions.Invoking(() => encoder.Encode("a rocket ship")).Should().Throw<NotSupportedException>()
            .WithMessage("*LoadTextEncoder*EmbeddingsPath*");
        FluentActions.Invoking(() => encoder.Encode(Array.Empty<string>())).Should().Throw<ArgumentException>().WithMessage("*At least one prompt*");
        FluentActions.Invoking(() => encoder.Encode([null!])).Should().Throw<ArgumentException>().WithMessage("*Prompt 0 is null*");
    }
}

using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Docs.Tests;

public class DocumentationSnippetTests
{
    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var document in SnippetCompiler.Documents)
            for (int i = 0; i < SnippetCompiler.Extract(document).Count; i++) data.Add(document, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void EveryCsharpBlock_Compiles_AgainstTheLibraries(string document, int index)
    {
        var snippet = SnippetCompiler.Extract(document)[index];
        SnippetCompiler.Errors(snippet).Should().BeEmpty($"the block at {snippet} must compile as documented in CONTRIBUTING.md");
    }

    [Theory]
    [InlineData("README.md", 2)]
    [InlineData("docs/getting-started-core.md", 1)]
    [InlineData("docs/getting-started-mnist.md", 1)]
    public void EachDocument_HasItsBlocks(string document, int atLeast)
        => SnippetCompiler.Extract(document).Should().HaveCountGreaterThanOrEqualTo(atLeast, "a document whose blocks vanished would pass vacuously");

    [Fact]
    public void ABrokenBlock_IsReported_WithItsDocumentLine()
    {
        var good = SnippetCompiler.Extract("README.md")[0];
        var broken = good with { Code = good.Code.Replace("using Diffusion.Net.Mnist.Training;\n", "", StringComparison.Ordinal) };
        broken.Code.Should().NotBe(good.Code);
        SnippetCompiler.Errors(broken).Should().Contain(e => e.Contains("MnistRecipes", StringComparison.Ordinal) && e.StartsWith("README.md:", StringComparison.Ordinal));
    }

    [Fact]
    public void APreludeName_IsNeeded_AndProvided()
    {
        var snippet = new Snippet("inline", 1, "var token = ct; var sink = progress; Console.WriteLine($\"{token.CanBeCanceled} {sink is null}\");");
        SnippetCompiler.Errors(snippet).Should().BeEmpty();
        SnippetCompiler.Errors(snippet with { Code = "var x = undefinedName;" }).Should().ContainSingle().Which.Should().Contain("CS0103");
    }
}

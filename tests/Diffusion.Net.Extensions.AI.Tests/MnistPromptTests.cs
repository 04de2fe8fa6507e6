using Diffusion.Net.Extensions.AI.Mnist;
using Diffusion.Net.Extensions.AI.Requests;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Extensions.AI.Tests;

public class MnistPromptTests
{
    [Theory]
    [InlineData("7", 7)]
    [InlineData("a 7", 7)]
    [InlineData("  A 7. ", 7)]
    [InlineData("an 8", 8)]
    [InlineData("seven", 7)]
    [InlineData("a Seven", 7)]
    [InlineData("the digit 0", 0)]
    [InlineData("a handwritten 3", 3)]
    [InlineData("number nine", 9)]
    public void Parse_ReadsTheDigit(string prompt, int digit) => MnistPrompt.Parse(prompt).Should().Be(digit);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_NoPrompt_IsTheNullClass(string? prompt) => MnistPrompt.Parse(prompt).Should().BeNull();

    [Theory]
    [InlineData("a cat")]
    [InlineData("77")]
    [InlineData("ten")]
    [InlineData("7 and 8")]
    [InlineData("-1")]
    public void Parse_AnythingElse_IsRejectedNamingPrompt(string prompt)
        => FluentActions.Invoking(() => MnistPrompt.Parse(prompt)).Should().Throw<ImageGenerationRequestException>()
            .Where(e => e.Property == "Prompt" && e.ParamName == "request").WithMessage("Prompt: *is not a digit*\"7\"*");
}

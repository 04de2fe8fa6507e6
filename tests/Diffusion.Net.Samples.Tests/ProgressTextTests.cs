using Diffusion.Net.Samples.Cli;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Samples.Tests;

/// <summary>The numbers of a progress line.</summary>
public sealed class ProgressTextTests
{
    [Theory]
    [InlineData(0, "0:00")]
    [InlineData(59.6, "1:00")]
    [InlineData(228, "3:48")]
    [InlineData(3600, "1:00:00")]
    [InlineData(99750, "27:42:30")]
    [InlineData(-3, "0:00")]
    public void Duration_IsMinutesSeconds_OrHoursMinutesSeconds(double seconds, string expected)
        => ProgressText.Duration(TimeSpan.FromSeconds(seconds)).Should().Be(expected);

    [Theory]
    [InlineData(1234.5, "1235 img/s")]
    [InlineData(12.34, "12.3 img/s")]
    [InlineData(1.234, "1.23 img/s")]
    [InlineData(0.005, "200 s per img")]
    public void Rate_HasThreeSignificantDigits_OrTimePerUnitWhenSlow(double perSecond, string expected)
        => ProgressText.Rate(perSecond, "img").Should().Be(expected);

    [Fact]
    public void Rate_BeforeTheFirstUnit_IsADash() => ProgressText.Rate(null, "steps").Should().Be("- steps/s");

    [Theory]
    [InlineData(0.999, "99%")]
    [InlineData(1, "100%")]
    [InlineData(0.1, "10%")]
    public void Percent_IsFloored_So100MeansDone(double fraction, string expected) => ProgressText.Percent(fraction).Should().Be(expected);
}

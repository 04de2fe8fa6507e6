using System.Text.Json;
using Diffusion.Net.IO;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Tests;

public class TimestepsTests
{
    [Fact]
    public void Strided_Is990To0ByThirty_With34Entries_AndStopsAtTheLast()
    {
        var ts = Timesteps.Strided();
        ts.Count.Should().Be(34);
        ts.Values.Should().Equal(Enumerable.Range(0, 34).Select(i => 990 - 30 * i));
        ts.StepCount.Should().Be(33);
        ts.StepFromLast.Should().BeFalse();
        new[] { 1, 3, 5, 7, 10, 20 }.Select(i => ts[i]).Should().Equal(960, 900, 840, 780, 690, 390);
    }

    [Fact]
    public void Strided_MatchesTheFixtureList()
    {
        using var file = SafetensorsFile.Open(Fixtures.Scheduler("scheduler_fixtures.safetensors"));
        using var t = file.Read("stage1.custom_strided.timesteps");
        Timesteps.Strided().Values.Select(v => (long)v).Should().Equal(t.data<long>().ToArray());
    }

    [Theory]
    [InlineData("stage1.leading100.timesteps", 100)]
    [InlineData("stage2.leading50.timesteps", 50)]
    public void Leading_MatchesDiffusersSetTimesteps(string key, int n)
    {
        using var file = SafetensorsFile.Open(Fixtures.Scheduler("scheduler_fixtures.safetensors"));
        using var t = file.Read(key);
        Timesteps.Leading(n).Values.Select(v => (long)v).Should().Equal(t.data<long>().ToArray());
    }

    [Fact]
    public void Leading_ThreeSteps_Is666_333_0()
        => Timesteps.Leading(3).Values.Should().Equal(666, 333, 0);

    [Fact]
    public void Linspace_And_Trailing_FollowDiffusers()
    {
        Timesteps.Linspace(10).Values.Should().Equal(999, 888, 777, 666, 555, 444, 333, 222, 111, 0);
        Timesteps.Trailing(10).Values.Should().Equal(999, 899, 799, 699, 599, 499, 399, 299, 199, 99);
    }

    [Fact]
    public void PresetIfLists_AreValidDescendingSequences()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Scheduler("if_timesteps_lists.json")));
        foreach (var list in doc.RootElement.EnumerateObject())
        {
            var seq = Timesteps.Custom(list.Value.EnumerateArray().Select(e => e.GetInt32()).ToArray());
            seq.Previous(seq.Count - 1).Should().Be(-1, $"{list.Name} ends by stepping to clean data");
            seq.Previous(0).Should().Be(seq[1]);
        }
    }

    [Fact]
    public void PreviousTimestep_IsTheNextEntry_OrMinusOneAfterTheLast()
    {
        var ts = Timesteps.Custom(999, 800, 799, 0);
        ts.Previous(0).Should().Be(800);
        ts.Previous(2).Should().Be(0);
        ts.Previous(3).Should().Be(-1);
        ts.Steps().Should().Equal((0, 999, 800), (1, 800, 799), (2, 799, 0), (3, 0, -1));
    }

    [Fact]
    public void From_StartsAtIndex_ForSdedit()
    {
        var ts = Timesteps.Strided().From(10);
        ts.First.Should().Be(690);
        ts.StepCount.Should().Be(23);
        ts.StepFromLast.Should().BeFalse();
        FluentActions.Invoking(() => Timesteps.Strided().From(33)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at least one step*");
    }

    [Fact]
    public void All_IsTheFullChain_TMinusOneToZero_ThenClean()
    {
        var ts = Timesteps.All(300);
        ts.Count.Should().Be(300);
        ts.First.Should().Be(299);
        ts.StepCount.Should().Be(300);
        ts.Previous(299).Should().Be(-1);
    }

    [Fact]
    public void BadLists_AreRejected_WithAMessage()
    {
        FluentActions.Invoking(() => Timesteps.Custom()).Should().Throw<ArgumentException>().WithMessage("*at least one timestep*");
        FluentActions.Invoking(() => Timesteps.Custom(10, 20)).Should().Throw<ArgumentException>().WithMessage("*strictly descending*");
        FluentActions.Invoking(() => Timesteps.Custom(10, 10)).Should().Throw<ArgumentException>().WithMessage("*strictly descending*");
        FluentActions.Invoking(() => Timesteps.Custom(5, -1)).Should().Throw<ArgumentException>().WithMessage("*negative*");
        FluentActions.Invoking(() => Timesteps.Leading(0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => Timesteps.Custom(1000, 0).Validate(1000)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*1000*outside*");
    }
}

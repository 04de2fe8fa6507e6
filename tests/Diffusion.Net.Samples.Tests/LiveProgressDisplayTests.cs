using Diffusion.Net.Samples.Cli;
using FluentAssertions;
using Spectre.Console.Testing;
using Xunit;

namespace Diffusion.Net.Samples.Tests;

/// <summary>The live renderer on an interactive ANSI test console; it swaps <see cref="Console.Out"/>, hence no parallel run.</summary>
[Collection(nameof(ConsoleOutCollection))]
public sealed class LiveProgressDisplayTests
{
    [Fact]
    public async Task Bars_ShowRateAndEta_AndTheProgramsLinesGoAboveThem()
    {
        var console = new TestConsole().Interactive().SupportsAnsi(true).Width(160);
        var original = Console.Out;
        var clock = new FakeClock();

        int code = await LiveProgressDisplay.RunAsync(console, clock, display =>
        {
            Console.WriteLine("Part B §2.4: training the class-conditioned UNet");
            using var phase = display.Begin("training quick", 100, "steps");
            clock.Advance(10);
            phase.Report(40, "epoch 1/3, loss 0.01234");
            Thread.Sleep(700);                          // the refresh thread draws every 250 ms of real time
            Console.Out.Should().NotBeSameAs(original, "while the bars show, the program's lines are forwarded above them");
            return Task.FromResult(7);
        });

        code.Should().Be(7);
        Console.Out.Should().BeSameAs(original);
        console.Output.Should().Contain("Part B §2.4: training the class-conditioned UNet")
            .And.Contain("training quick").And.Contain("40/100 steps").And.Contain("4.00 steps/s").And.Contain("ETA 0:15").And.Contain("loss 0.01234");
    }

    [Fact]
    public async Task CompletedLongPhase_LeavesASummaryLine()
    {
        var console = new TestConsole().Interactive().SupportsAnsi(true).Width(160);
        var clock = new FakeClock();

        await LiveProgressDisplay.RunAsync(console, clock, display =>
        {
            using var phase = display.Begin("evaluation: sampling", 200, "digits");
            clock.Advance(20);
            phase.Complete();
            return Task.FromResult(0);
        });

        console.Output.Should().Contain("evaluation: sampling: 100% (200 digits) in 0:20, 10.0 digits/s");
    }
}

/// <summary>Tests that swap the process's <see cref="Console.Out"/> run alone.</summary>
[CollectionDefinition(nameof(ConsoleOutCollection), DisableParallelization = true)]
public sealed class ConsoleOutCollection;

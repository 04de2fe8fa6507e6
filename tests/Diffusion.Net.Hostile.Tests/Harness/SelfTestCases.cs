using Diffusion.Net.Hostile.Tests.Corpus;
using static TorchSharp.torch;

namespace Diffusion.Net.Hostile.Tests.Harness;

/// <summary>
/// Cases that misbehave on purpose, so the limits themselves are tested: a native crash, a hang, a native
/// memory bomb and a managed one must each be caught and blamed on the right case, with the batch going on.
/// </summary>
internal static class SelfTestCases
{
    public static IReadOnlyList<HostileCase> All { get; } =
    [
        new("selftest-crash", "harness", Expectation.Accept, _ => { Environment.FailFast("deliberate crash"); return null; }),
        new("selftest-hang", "harness", Expectation.Accept, _ => { Thread.Sleep(Timeout.Infinite); return null; }),
        new("selftest-native-memory", "harness", Expectation.Accept, _ =>
        {
            // Touch every page so the memory is resident, as a real bomb's would be.
            var t = ones(3L << 29, ScalarType.Byte);
            return t.sum();
        }),
        new("selftest-managed-memory", "harness", Expectation.Accept, _ =>
        {
            var chunks = new List<byte[]>();
            while (true) chunks.Add(GC.AllocateArray<byte>(16 << 20));
        }),
        new("selftest-fine", "harness", Expectation.Accept, _ => null),
    ];
}

using System.Text.Json;
using Diffusion.Net.Sampling;

namespace Diffusion.Net.Tests.Support;

internal static partial class SamplerCaseReaders
{
    /// <summary>diffusers' <c>FlowMatchEulerDiscreteScheduler</c> config as a flow-matching <see cref="EulerSampler"/>.</summary>
    public static ISampler FlowMatchEuler(JsonElement config)
        => new EulerSampler(new EulerSamplerOptions { FlowMatching = true, Shift = config.GetProperty("shift").GetDouble() });
}

using System.Text.Json;
using Diffusion.Net.Sampling;

namespace Diffusion.Net.Tests.Support;

internal static partial class SamplerCaseReaders
{
    /// <summary>diffusers' <c>HeunDiscreteScheduler</c> config as <see cref="HeunSampler"/> options.</summary>
    public static ISampler Heun(JsonElement config)
    {
        Expect(config, "prediction_type", "epsilon");
        return new HeunSampler(new HeunSamplerOptions
        {
            KarrasSigmas = SamplerCase.Bool(config, "use_karras_sigmas"),
            ClipSample = SamplerCase.Bool(config, "clip_sample"),
            ClipSampleRange = config.GetProperty("clip_sample_range").GetDouble(),
            Spacing = SamplerCase.Spacing(config),
            StepsOffset = config.GetProperty("steps_offset").GetInt32(),
        });
    }
}

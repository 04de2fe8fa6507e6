using System.Text.Json;
using Diffusion.Net.Sampling;

namespace Diffusion.Net.Tests.Support;

internal static partial class SamplerCaseReaders
{
    /// <summary>diffusers' <c>EulerAncestralDiscreteScheduler</c> config as <see cref="EulerAncestralSampler"/> options.</summary>
    public static ISampler EulerAncestral(JsonElement config)
    {
        Expect(config, "prediction_type", "epsilon");
        if (SamplerCase.Bool(config, "rescale_betas_zero_snr")) throw new NotSupportedException("rescale_betas_zero_snr is a property of the process, not read here.");
        return new EulerAncestralSampler(new EulerAncestralSamplerOptions
        {
            Spacing = SamplerCase.Spacing(config),
            StepsOffset = config.GetProperty("steps_offset").GetInt32(),
        });
    }
}

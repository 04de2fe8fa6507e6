using System.Text.Json;
using Diffusion.Net.Sampling;

namespace Diffusion.Net.Tests.Support;

internal static partial class SamplerCaseReaders
{
    /// <summary>diffusers' <c>EulerDiscreteScheduler</c> config as <see cref="EulerSampler"/> options (ε-prediction, linear σ interpolation).</summary>
    public static ISampler Euler(JsonElement config)
    {
        Expect(config, "interpolation_type", "linear");
        Expect(config, "timestep_type", "discrete");
        Expect(config, "prediction_type", "epsilon");
        if (SamplerCase.Bool(config, "rescale_betas_zero_snr")) throw new NotSupportedException("rescale_betas_zero_snr is a property of the process, not read here.");
        return new EulerSampler(new EulerSamplerOptions
        {
            KarrasSigmas = SamplerCase.Bool(config, "use_karras_sigmas"),
            SigmaMin = OptionalDouble(config, "sigma_min"),
            SigmaMax = OptionalDouble(config, "sigma_max"),
            FinalSigma = SamplerCase.Final(config),
            Spacing = SamplerCase.Spacing(config),
            StepsOffset = config.GetProperty("steps_offset").GetInt32(),
        });
    }

    /// <summary>Throws unless the config's <paramref name="key"/> is <paramref name="value"/> (what the readers support).</summary>
    private static void Expect(JsonElement config, string key, string value)
    {
        string actual = SamplerCase.Str(config, key);
        if (actual != value) throw new NotSupportedException($"{key} = {actual} is not read (only {value}).");
    }

    private static double? OptionalDouble(JsonElement config, string key)
        => config.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}

using System.Text.Json;
using Diffusion.Net.Sampling;

namespace Diffusion.Net.Tests.Support;

internal static partial class SamplerCaseReaders
{
    /// <summary>This library's reading of a recorded diffusers <c>UniPCMultistepScheduler</c> config.</summary>
    public static ISampler UniPc(JsonElement c)
    {
        if (c.TryGetProperty("solver_p", out var solverP) && solverP.ValueKind != JsonValueKind.Null)
            throw new NotSupportedException("UniPC with solver_p is not ported.");
        return new UniPcSampler(new UniPcOptions
        {
            Order = c.GetProperty("solver_order").GetInt32(),
            // diffusers maps the DPM-Solver names to bh2 and rejects anything else.
            SolverType = SamplerCase.Str(c, "solver_type") switch
            {
                "bh1" => UniPcSolverType.Bh1,
                "bh2" or "midpoint" or "heun" or "logrho" => UniPcSolverType.Bh2,
                var other => throw new NotSupportedException($"solver_type {other}"),
            },
            PredictX0 = SamplerCase.Bool(c, "predict_x0"),
            LowerOrderFinal = SamplerCase.Bool(c, "lower_order_final"),
            DisableCorrector = c.GetProperty("disable_corrector").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            KarrasSigmas = SamplerCase.Bool(c, "use_karras_sigmas"),
            FinalSigma = SamplerCase.Final(c),
            Thresholding = SamplerCase.Bool(c, "thresholding"),
            ThresholdingRatio = c.GetProperty("dynamic_thresholding_ratio").GetDouble(),
            SampleMaxValue = c.GetProperty("sample_max_value").GetDouble(),
            Spacing = SamplerCase.Spacing(c),
            StepsOffset = c.GetProperty("steps_offset").GetInt32(),
        });
    }
}

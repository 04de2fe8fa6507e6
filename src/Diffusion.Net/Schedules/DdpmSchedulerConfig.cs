using System.Text.Json;
using Diffusion.Net.IO;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;

namespace Diffusion.Net.Schedules;

/// <summary>
/// A diffusers <c>scheduler_config.json</c> (DDPMScheduler, DDIMScheduler) mapped onto this library: the noise
/// schedule (float32-compatible, as diffusers stores it), the DDPM sampler options, and the default timestep
/// spacing. Every key is validated; unsupported values are rejected by name.
/// </summary>
public sealed record DdpmSchedulerConfig
{
    /// <summary>T.</summary>
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>linear, scaled_linear or squaredcos_cap_v2.</summary>
    public string BetaSchedule { get; init; } = "linear";

    /// <summary>β at the first timestep (linear schedules).</summary>
    public double BetaStart { get; init; } = 0.0001;

    /// <summary>β at the last timestep (linear schedules).</summary>
    public double BetaEnd { get; init; } = 0.02;

    /// <summary>An explicit β table, overriding the schedule.</summary>
    public IReadOnlyList<double>? TrainedBetas { get; init; }

    /// <summary>fixed_small, fixed_large or learned_range.</summary>
    public string VarianceType { get; init; } = "fixed_small";

    /// <summary>Dynamic thresholding of x̂_0.</summary>
    public bool Thresholding { get; init; }

    /// <summary>The thresholding quantile.</summary>
    public double DynamicThresholdingRatio { get; init; } = 0.995;

    /// <summary>The thresholding clamp.</summary>
    public double SampleMaxValue { get; init; } = 1.0;

    /// <summary>Clip x̂_0.</summary>
    public bool ClipSample { get; init; } = true;

    /// <summary>The clip range.</summary>
    public double ClipSampleRange { get; init; } = 1.0;

    /// <summary>leading, linspace or trailing.</summary>
    public string TimestepSpacing { get; init; } = "leading";

    /// <summary>Added to leading timesteps.</summary>
    public int StepsOffset { get; init; }

    /// <summary>What the model predicts (<c>prediction_type</c>: epsilon, sample or v_prediction).</summary>
    public PredictionKind PredictionType { get; init; } = PredictionKind.Epsilon;

    /// <summary>Reads and validates a config file.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="ModelConfigException">The JSON is invalid or has an unsupported value.</exception>
    public static DdpmSchedulerConfig Load(string path) => Load(path, null);

    /// <summary>Reads and validates a config file within <paramref name="limits"/> (file size, T).</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="ModelConfigException">The JSON is invalid, has an unsupported or out-of-range value, or exceeds a budget.</exception>
    public static DdpmSchedulerConfig Load(string path, InputLimits? limits)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        limits ??= InputLimits.Default;
        if (!File.Exists(path)) throw new FileNotFoundException($"Scheduler config '{path}' does not exist.", path);
        var bytes = UntrustedFile.ReadAllBytes(path, limits.MaxConfigBytes, problem => new ModelConfigException(path, null, problem));
        JsonDocument doc;
        // The JSON error is not kept as the inner exception: System.Text.Json quotes the offending character.
        try { doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw new ModelConfigException(path, null, $"not valid JSON (line {(e.LineNumber ?? 0) + 1})"); }
        using (doc) return Parse(doc.RootElement, path, limits);
    }

    /// <summary>Parses a config object; <paramref name="source"/> names it in messages.</summary>
    public static DdpmSchedulerConfig Parse(JsonElement root, string source) => Parse(root, source, null);

    /// <summary>Parses a config object within <paramref name="limits"/>; <paramref name="source"/> names it in messages.</summary>
    public static DdpmSchedulerConfig Parse(JsonElement root, string source, InputLimits? limits)
    {
        try { return ParseObject(root, source, limits ?? InputLimits.Default); }
        catch (InvalidOperationException e)
        {
            // System.Text.Json refuses invalid UTF-8 and unpaired surrogate escapes only when a string is read.
            throw new ModelConfigException(source, null, "a key or string is not valid Unicode", e);
        }
    }

    private static DdpmSchedulerConfig ParseObject(JsonElement root, string source, InputLimits limits)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new ModelConfigException(source, null, "the config is not a JSON object");
        var c = new DdpmSchedulerConfig();
        foreach (var p in root.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "num_train_timesteps":
                    // Checked before anything is sized by it: T = 2³¹ would allocate tables of that length.
                    int t = Int(source, p);
                    if (t < 1 || t > limits.MaxTimesteps) throw new ModelConfigException(source, p.Name, $"{t} is outside [1, {limits.MaxTimesteps}] (InputLimits.MaxTimesteps)");
                    c = c with { NumTrainTimesteps = t };
                    break;
                case "beta_schedule": c = c with { BetaSchedule = Str(source, p) }; break;
                case "beta_start": c = c with { BetaStart = Num(source, p) }; break;
                case "beta_end": c = c with { BetaEnd = Num(source, p) }; break;
                case "trained_betas":
                    if (v.ValueKind == JsonValueKind.Null) break;
                    if (v.ValueKind != JsonValueKind.Array) throw new ModelConfigException(source, p.Name, "expected a list of numbers or null");
                    if (v.GetArrayLength() > limits.MaxTimesteps) throw new ModelConfigException(source, p.Name, $"has more than {limits.MaxTimesteps} entries (InputLimits.MaxTimesteps)");
                    c = c with { TrainedBetas = v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw new ModelConfigException(source, p.Name, "expected numbers")).ToArray() };
                    break;
                case "variance_type": c = c with { VarianceType = Str(source, p) }; break;
                case "prediction_type":
                    c = c with
                    {
                        PredictionType = Str(source, p) switch
                        {
                            "epsilon" => PredictionKind.Epsilon,
                            "sample" => PredictionKind.Sample,
                            "v_prediction" => PredictionKind.Velocity,
                            var other => throw new ModelConfigException(source, p.Name, $"'{other}' is not supported (epsilon, sample, v_prediction)"),
                        },
                    };
                    break;
                case "thresholding": c = c with { Thresholding = Bool(source, p) }; break;
                case "dynamic_thresholding_ratio": c = c with { DynamicThresholdingRatio = Num(source, p) }; break;
                case "sample_max_value": c = c with { SampleMaxValue = Num(source, p) }; break;
                case "clip_sample": c = c with { ClipSample = Bool(source, p) }; break;
                case "clip_sample_range": c = c with { ClipSampleRange = Num(source, p) }; break;
                case "timestep_spacing": c = c with { TimestepSpacing = Str(source, p) }; break;
                case "steps_offset": c = c with { StepsOffset = Int(source, p) }; break;
                case "rescale_betas_zero_snr":
                    if (Bool(source, p)) throw new ModelConfigException(source, p.Name, "true is not supported");
                    break;
                case "variance_type_default" or "_class_name" or "_diffusers_version" or "lambda_min_clipped" or "set_alpha_to_one" or "skip_prk_steps":
                    break;
                default:
                    break; // Unknown keys are ignored, as diffusers does, so newer configs still load.
            }
        }
        c.Validate(source);
        return c;
    }

    /// <summary>Throws <see cref="ModelConfigException"/> for an unsupported or out-of-range value.</summary>
    public void Validate(string source = "(config)")
    {
        if (NumTrainTimesteps < 1) throw new ModelConfigException(source, "num_train_timesteps", $"must be positive; got {NumTrainTimesteps}");
        // β is a per-step noise variance: outside (0, 1) the schedule has no meaning (ᾱ_t ≤ 0 or NaN).
        // Checked whatever the schedule: a value the cosine schedule ignores is still a broken config.
        if (!(BetaStart > 0 && BetaStart < 1)) throw new ModelConfigException(source, "beta_start", "must lie in (0, 1)");
        if (!(BetaEnd > 0 && BetaEnd < 1)) throw new ModelConfigException(source, "beta_end", "must lie in (0, 1)");
        if (TrainedBetas is not null)
        {
            for (int i = 0; i < TrainedBetas.Count; i++)
                if (!(TrainedBetas[i] > 0 && TrainedBetas[i] < 1)) throw new ModelConfigException(source, "trained_betas", $"entry {i} is outside (0, 1)");
        }
        if (StepsOffset < 0 || StepsOffset >= NumTrainTimesteps) throw new ModelConfigException(source, "steps_offset", $"must lie in [0, {NumTrainTimesteps - 1}]");
        if (TrainedBetas is null && BetaSchedule is not ("linear" or "scaled_linear" or "squaredcos_cap_v2"))
            throw new ModelConfigException(source, "beta_schedule", $"'{BetaSchedule}' is not supported (linear, scaled_linear, squaredcos_cap_v2)");
        if (TrainedBetas is not null && TrainedBetas.Count != NumTrainTimesteps)
            throw new ModelConfigException(source, "trained_betas", $"has {TrainedBetas.Count} entries for {NumTrainTimesteps} timesteps");
        if (VarianceType is not ("fixed_small" or "fixed_large" or "learned_range"))
            throw new ModelConfigException(source, "variance_type", $"'{VarianceType}' is not supported (fixed_small, fixed_large, learned_range)");
        if (TimestepSpacing is not ("leading" or "linspace" or "trailing"))
            throw new ModelConfigException(source, "timestep_spacing", $"'{TimestepSpacing}' is not supported (leading, linspace, trailing)");
        if (!(DynamicThresholdingRatio > 0 && DynamicThresholdingRatio <= 1)) throw new ModelConfigException(source, "dynamic_thresholding_ratio", "must lie in (0, 1]");
        if (!(SampleMaxValue >= 1)) throw new ModelConfigException(source, "sample_max_value", "must be at least 1");
        if (!(ClipSampleRange > 0)) throw new ModelConfigException(source, "clip_sample_range", "must be positive");
    }

    /// <summary>The noise schedule, rounded as diffusers stores it (float32).</summary>
    public NoiseSchedule CreateSchedule() => TrainedBetas is not null
        ? NoiseSchedules.FromBetas(TrainedBetas, SchedulePrecision.PyTorchFloat32)
        : BetaSchedule switch
        {
            "linear" => NoiseSchedules.Linear(BetaStart, BetaEnd, NumTrainTimesteps, SchedulePrecision.PyTorchFloat32),
            "scaled_linear" => NoiseSchedules.ScaledLinear(BetaStart, BetaEnd, NumTrainTimesteps, SchedulePrecision.PyTorchFloat32),
            _ => NoiseSchedules.SquaredCosCapV2(NumTrainTimesteps, 0.999, SchedulePrecision.PyTorchFloat32),
        };

    /// <summary>The DDPM sampler this config describes (variance, thresholding, clipping, spacing).</summary>
    public DdpmSampler CreateSampler() => new(Configure(new DdpmSamplerOptions
    {
        Variance = VarianceType switch { "fixed_large" => DdpmVariance.FixedLarge, "learned_range" => DdpmVariance.LearnedRange, _ => DdpmVariance.FixedSmall },
    }));

    /// <summary>
    /// <paramref name="options"/> with this config's keys that every sampler shares (thresholding, its ratio and clamp,
    /// clipping, timestep spacing, steps offset), as diffusers' <c>OtherScheduler.from_config(pipe.scheduler.config)</c>
    /// carries them over: e.g. <c>new DpmSolverSampler(stage1.SchedulerConfig.Configure(new DpmSolverOptions()))</c> is
    /// DPM-Solver++(2M) with DeepFloyd IF's dynamic thresholding.
    /// </summary>
    public TOptions Configure<TOptions>(TOptions options) where TOptions : SamplerOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with
        {
            Thresholding = Thresholding,
            ThresholdingRatio = DynamicThresholdingRatio,
            SampleMaxValue = SampleMaxValue,
            ClipSample = ClipSample,
            ClipSampleRange = ClipSampleRange,
            Spacing = TimestepSpacing switch { "linspace" => Sampling.TimestepSpacing.Linspace, "trailing" => Sampling.TimestepSpacing.Trailing, _ => Sampling.TimestepSpacing.Leading },
            StepsOffset = StepsOffset,
        };
    }

    /// <summary><c>set_timesteps(n)</c> with this config's spacing.</summary>
    public TimestepSequence CreateTimesteps(int inferenceSteps) => TimestepSpacing switch
    {
        "linspace" => Timesteps.Linspace(inferenceSteps, NumTrainTimesteps),
        "trailing" => Timesteps.Trailing(inferenceSteps, NumTrainTimesteps),
        _ => Timesteps.Leading(inferenceSteps, NumTrainTimesteps, StepsOffset),
    };

    private static string Kind(JsonElement v) => JsonKinds.Describe(v);

    private static int Int(string source, JsonProperty p)
        => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int v) ? v : throw new ModelConfigException(source, p.Name, $"expected an integer; got {Kind(p.Value)}");

    private static double Num(string source, JsonProperty p)
        => p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : throw new ModelConfigException(source, p.Name, $"expected a number; got {Kind(p.Value)}");

    private static bool Bool(string source, JsonProperty p)
        => p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? p.Value.GetBoolean() : throw new ModelConfigException(source, p.Name, $"expected true or false; got {Kind(p.Value)}");

    private static string Str(string source, JsonProperty p)
        => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new ModelConfigException(source, p.Name, $"expected a string; got {Kind(p.Value)}");
}

using System.Text.Json;
using Diffusion.Net.IO;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests.Support;

/// <summary>
/// One recorded diffusers 0.29.2 trajectory of <c>Fixtures/samplers</c> (see its README): the scheduler's config, every
/// model call (input, output, timestep, draws) and every step's result. <see cref="Sampler"/> and <see cref="Process"/>
/// are this library's reading of the config.
/// </summary>
internal sealed class SamplerCase : IDisposable
{
    private readonly SafetensorsFile _file;

    private SamplerCase(JsonElement info)
    {
        Name = info.GetProperty("name").GetString()!;
        Scheduler = info.GetProperty("scheduler").GetString()!;
        Config = info.GetProperty("config").Clone();
        Steps = info.GetProperty("num_inference_steps").GetInt32();
        Shape = info.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        OutputChannels = info.GetProperty("model_output_channels").GetInt32();
        InitNoiseSigma = info.GetProperty("init_noise_sigma").GetDouble();
        Calls = info.GetProperty("calls").EnumerateArray().Select(c => (c.GetProperty("timestep").GetDouble(), c.GetProperty("draws").GetInt32())).ToArray();
        _file = SafetensorsFile.Open(Fixtures.Path("samplers", info.GetProperty("file").GetString()!));
        Process = CreateProcess(Config, Scheduler);
        Sampler = CreateSampler(Name, Scheduler, Config);
    }

    public string Name { get; }

    public string Scheduler { get; }

    public JsonElement Config { get; }

    public int Steps { get; }

    public long[] Shape { get; }

    public int OutputChannels { get; }

    public double InitNoiseSigma { get; }

    public IReadOnlyList<(double Timestep, int Draws)> Calls { get; }

    public IDiffusionProcess Process { get; }

    public ISampler Sampler { get; }

    /// <summary>What the recorded model's outputs mean to the scheduler: a flow velocity for flow matching, ε otherwise.</summary>
    public PredictionKind OutputKind => Scheduler == "FlowMatchEulerDiscreteScheduler" ? PredictionKind.FlowVelocity : PredictionKind.Epsilon;

    /// <summary>Whether diffusers used its draws (Euler draws one every step and multiplies it by zero when s_churn = 0).</summary>
    public bool DrawsAreUsed => Scheduler != "EulerDiscreteScheduler";

    public static IReadOnlyList<string> Names()
    {
        using var doc = Index();
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray();
    }

    public static SamplerCase Load(string name)
    {
        using var doc = Index();
        return new SamplerCase(doc.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name));
    }

    /// <summary>index.json, whose configs hold Python's bare -Infinity (read here as a string).</summary>
    private static JsonDocument Index()
    {
        var text = File.ReadAllText(Fixtures.Path("samplers", "index.json"));
        text = System.Text.RegularExpressions.Regex.Replace(text, @"(?<=[:\[,]\s*)(-?Infinity|NaN)\b", "\"$1\"");
        return JsonDocument.Parse(text);
    }

    public bool Has(string key) => _file.Tensors.ContainsKey(key);

    public Tensor Read(string key) => _file.Read(key);

    public void Dispose() => _file.Dispose();

    private static IDiffusionProcess CreateProcess(JsonElement config, string scheduler)
    {
        int t = config.GetProperty("num_train_timesteps").GetInt32();
        if (scheduler == "FlowMatchEulerDiscreteScheduler") return new RectifiedFlow(t);
        double start = config.GetProperty("beta_start").GetDouble(), end = config.GetProperty("beta_end").GetDouble();
        return config.GetProperty("beta_schedule").GetString() switch
        {
            "linear" => NoiseSchedules.Linear(start, end, t, SchedulePrecision.PyTorchFloat32),
            "scaled_linear" => NoiseSchedules.ScaledLinear(start, end, t, SchedulePrecision.PyTorchFloat32),
            "squaredcos_cap_v2" => NoiseSchedules.SquaredCosCapV2(t, 0.999, SchedulePrecision.PyTorchFloat32),
            var other => throw new NotSupportedException($"beta_schedule {other}"),
        };
    }

    private static ISampler CreateSampler(string name, string scheduler, JsonElement c) => scheduler switch
    {
        "DPMSolverMultistepScheduler" => new DpmSolverSampler(new DpmSolverOptions
        {
            Order = c.GetProperty("solver_order").GetInt32(),
            Algorithm = Str(c, "algorithm_type") switch
            {
                "dpmsolver++" => DpmSolverAlgorithm.DpmSolverPlusPlus,
                "dpmsolver" => DpmSolverAlgorithm.DpmSolver,
                _ => DpmSolverAlgorithm.SdeDpmSolverPlusPlus,
            },
            SolverType = Str(c, "solver_type") == "heun" ? DpmSolverType.Heun : DpmSolverType.Midpoint,
            LowerOrderFinal = Bool(c, "lower_order_final"),
            EulerAtFinal = Bool(c, "euler_at_final"),
            KarrasSigmas = Bool(c, "use_karras_sigmas"),
            FinalSigma = Final(c),
            Thresholding = Bool(c, "thresholding"),
            ThresholdingRatio = c.GetProperty("dynamic_thresholding_ratio").GetDouble(),
            SampleMaxValue = c.GetProperty("sample_max_value").GetDouble(),
            Spacing = Spacing(c),
            StepsOffset = c.GetProperty("steps_offset").GetInt32(),
        }),
        "DDIMScheduler" => new DdimSampler(new DdimSamplerOptions
        {
            // η is a step() argument, not config: the eta1 case passes 1.
            Eta = name.Contains("eta1", StringComparison.Ordinal) ? 1 : 0,
            ClipSample = Bool(c, "clip_sample"),
            Thresholding = Bool(c, "thresholding"),
            Spacing = Spacing(c),
            StepsOffset = c.GetProperty("steps_offset").GetInt32(),
        }),
        "UniPCMultistepScheduler" => SamplerCaseReaders.UniPc(c),
        "EulerDiscreteScheduler" => SamplerCaseReaders.Euler(c),
        "EulerAncestralDiscreteScheduler" => SamplerCaseReaders.EulerAncestral(c),
        "HeunDiscreteScheduler" => SamplerCaseReaders.Heun(c),
        "FlowMatchEulerDiscreteScheduler" => SamplerCaseReaders.FlowMatchEuler(c),
        _ => throw new NotSupportedException($"{scheduler} ({name})"),
    };

    internal static string Str(JsonElement config, string key) => config.GetProperty(key).GetString()!;

    internal static bool Bool(JsonElement config, string key) => config.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;

    internal static TimestepSpacing Spacing(JsonElement config) => Str(config, "timestep_spacing") switch
    {
        "linspace" => TimestepSpacing.Linspace,
        "leading" => TimestepSpacing.Leading,
        _ => TimestepSpacing.Trailing,
    };

    internal static FinalSigma Final(JsonElement config)
        => config.TryGetProperty("final_sigmas_type", out var v) && v.GetString() == "sigma_min" ? FinalSigma.SigmaMin : FinalSigma.Zero;
}

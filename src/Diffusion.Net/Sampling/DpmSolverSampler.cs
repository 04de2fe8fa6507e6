using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// Multistep DPM-Solver (Lu et al. 2022a, "DPM-Solver: A Fast ODE Solver for Diffusion Probabilistic Model Sampling in
/// Around 10 Steps") and DPM-Solver++ (Lu et al. 2022b, "DPM-Solver++: Fast Solver for Guided Sampling"), as diffusers'
/// <c>DPMSolverMultistepScheduler</c>. With λ = log(α/σ), h = λ_t − λ_s and the data prediction D = x̂_0 of the last
/// steps, the DPM-Solver++(2M) step (midpoint) is
/// <code>
/// x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) D_0 − ½ α_t (e^{−h} − 1) D_1,   D_1 = (D_0 − D_{−1}) h/h_{−1}
/// </code>
/// and the first step, and the last of short runs, are first order. 3M adds a second difference; the SDE variant adds
/// σ_t √(1 − e^{−2h}) z; ε-space DPM-Solver steps the noise prediction instead. It runs on any process (α and σ of the
/// levels), reads every output kind, and applies thresholding and the other x̂_0 limits to D.
/// </summary>
public sealed class DpmSolverSampler : ISampler
{
    /// <summary>Creates the sampler.</summary>
    public DpmSolverSampler(DpmSolverOptions? options = null)
    {
        Options = options ?? new DpmSolverOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public DpmSolverOptions Options { get; }

    /// <inheritdoc />
    public SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps)
        => MultistepSchedules.Create(process, steps, Options, Options.KarrasSigmas, Options.FinalSigma, nameof(DpmSolverSampler));

    /// <inheritdoc />
    public void Validate(SigmaSchedule schedule, PredictionKind kind)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        PredictionConversion.CheckFits(kind, schedule.Process);
        PredictionConversion.CheckReadable(kind, schedule.First);
        if (schedule.StepCount < Options.Order)
            throw new ArgumentException($"DPM-Solver of order {Options.Order} needs at least {Options.Order} steps; the schedule has {schedule.StepCount}. Lower the order or take more steps.", nameof(schedule));
        if (Options.Algorithm == DpmSolverAlgorithm.DpmSolver && schedule.EndsClean)
            throw new ArgumentException("ε-space DPM-Solver cannot step to clean data (σ = 0); end the schedule at σ_min (FinalSigma.SigmaMin) or use DPM-Solver++.", nameof(schedule));
    }

    /// <inheritdoc />
    public int ModelCalls(SigmaSchedule schedule) => schedule?.StepCount ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc />
    public ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise) => new Run(Options, schedule, noise);

    /// <inheritdoc />
    public override string ToString()
    {
        string name = Options.Algorithm switch
        {
            DpmSolverAlgorithm.DpmSolver => "DPM-Solver",
            DpmSolverAlgorithm.SdeDpmSolverPlusPlus => "SDE-DPM-Solver++",
            _ => "DPM-Solver++",
        };
        return $"{name}({Options.Order}M{(Options.SolverType == DpmSolverType.Heun ? ", heun" : "")}{(Options.KarrasSigmas ? ", Karras" : "")}{Options.LimitsDescription()})";
    }

    private sealed class Run(DpmSolverOptions options, SigmaSchedule schedule, INoiseSource noise) : SamplerRun(schedule, noise)
    {
        private readonly OutputHistory _outputs = new(options.Order);
        private int _lowerOrderSteps;

        private bool DataPrediction => options.Algorithm != DpmSolverAlgorithm.DpmSolver;

        protected override SamplerStep TakeStep(int index, Tensor sample, IDenoiser denoiser)
        {
            int n = Schedule.StepCount;
            var level = Schedule[index];
            var next = Schedule[index + 1];
            bool lowerOrderFinal = index == n - 1 && (options.EulerAtFinal || (options.LowerOrderFinal && n < 15) || next.IsClean);
            bool lowerOrderSecond = index == n - 2 && options.LowerOrderFinal && n < 15;

            using var scope = NewDisposeScope();
            Tensor m0, x0;
            using (var prediction = Call(denoiser, sample, level))
            {
                if (DataPrediction)
                {
                    m0 = options.Limit(prediction.ToOriginal(sample, level));
                    x0 = m0;
                }
                else
                {
                    m0 = prediction.ToEpsilon(sample, level);
                    if (options.LimitsOriginal)
                    {
                        x0 = options.Limit((sample - m0 * level.Sigma) / level.Alpha);
                        m0 = (sample - x0 * level.Alpha) / level.Sigma;
                    }
                    else x0 = (sample - m0 * level.Sigma) / level.Alpha;
                }
            }
            _outputs.Push(m0, level.LogSnr);
            var noiseDraw = options.Algorithm == DpmSolverAlgorithm.SdeDpmSolverPlusPlus
                ? Noise.Next(m0.shape, ScalarType.Float32, sample.device).to(sample.dtype)
                : null;

            Tensor result;
            if (options.Order == 1 || _lowerOrderSteps < 1 || lowerOrderFinal) result = FirstOrder(sample, level, next, noiseDraw);
            else if (options.Order == 2 || _lowerOrderSteps < 2 || lowerOrderSecond) result = SecondOrder(sample, level, next, noiseDraw);
            else result = ThirdOrder(sample, level, next);
            if (_lowerOrderSteps < options.Order) _lowerOrderSteps++;
            return new SamplerStep(scope.MoveToOuter(result), scope.MoveToOuter(x0.alias()));
        }

        private Tensor FirstOrder(Tensor x, NoiseLevel s, NoiseLevel t, Tensor? z)
        {
            var m = _outputs[0];
            double h = t.LogSnr - s.LogSnr;
            return options.Algorithm switch
            {
                DpmSolverAlgorithm.DpmSolverPlusPlus => x * (t.Sigma / s.Sigma) - m * (t.Alpha * (Math.Exp(-h) - 1.0)),
                DpmSolverAlgorithm.DpmSolver => x * (t.Alpha / s.Alpha) - m * (t.Sigma * (Math.Exp(h) - 1.0)),
                _ => x * (t.Sigma / s.Sigma * Math.Exp(-h)) + m * (t.Alpha * (1 - Math.Exp(-2.0 * h))) + z! * (t.Sigma * Math.Sqrt(1.0 - Math.Exp(-2 * h))),
            };
        }

        private Tensor SecondOrder(Tensor x, NoiseLevel s0, NoiseLevel t, Tensor? z)
        {
            var m0 = _outputs[0];
            var m1 = _outputs[1];
            double lambdaT = t.LogSnr, lambdaS0 = _outputs.LogSnr(0), lambdaS1 = _outputs.LogSnr(1);
            double h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1;
            double r0 = h0 / h;
            var d0 = m0;
            var d1 = (m0 - m1) * (1.0 / r0);
            bool midpoint = options.SolverType == DpmSolverType.Midpoint;
            switch (options.Algorithm)
            {
                case DpmSolverAlgorithm.DpmSolverPlusPlus:
                {
                    double c = t.Alpha * (Math.Exp(-h) - 1.0);
                    return midpoint
                        ? x * (t.Sigma / s0.Sigma) - d0 * c - d1 * (0.5 * c)
                        : x * (t.Sigma / s0.Sigma) - d0 * c + d1 * (t.Alpha * ((Math.Exp(-h) - 1.0) / h + 1.0));
                }
                case DpmSolverAlgorithm.DpmSolver:
                {
                    double c = t.Sigma * (Math.Exp(h) - 1.0);
                    return midpoint
                        ? x * (t.Alpha / s0.Alpha) - d0 * c - d1 * (0.5 * c)
                        : x * (t.Alpha / s0.Alpha) - d0 * c - d1 * (t.Sigma * ((Math.Exp(h) - 1.0) / h - 1.0));
                }
                default:
                {
                    double c = t.Alpha * (1 - Math.Exp(-2.0 * h));
                    var noiseTerm = z! * (t.Sigma * Math.Sqrt(1.0 - Math.Exp(-2 * h)));
                    return midpoint
                        ? x * (t.Sigma / s0.Sigma * Math.Exp(-h)) + d0 * c + d1 * (0.5 * c) + noiseTerm
                        : x * (t.Sigma / s0.Sigma * Math.Exp(-h)) + d0 * c + d1 * (t.Alpha * ((1.0 - Math.Exp(-2.0 * h)) / (-2.0 * h) + 1.0)) + noiseTerm;
                }
            }
        }

        private Tensor ThirdOrder(Tensor x, NoiseLevel s0, NoiseLevel t)
        {
            var m0 = _outputs[0];
            var m1 = _outputs[1];
            var m2 = _outputs[2];
            double lambdaT = t.LogSnr, lambdaS0 = _outputs.LogSnr(0), lambdaS1 = _outputs.LogSnr(1), lambdaS2 = _outputs.LogSnr(2);
            double h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1, h1 = lambdaS1 - lambdaS2;
            double r0 = h0 / h, r1 = h1 / h;
            var d0 = m0;
            var d10 = (m0 - m1) * (1.0 / r0);
            var d11 = (m1 - m2) * (1.0 / r1);
            var d1 = d10 + (d10 - d11) * (r0 / (r0 + r1));
            var d2 = (d10 - d11) * (1.0 / (r0 + r1));
            if (options.Algorithm == DpmSolverAlgorithm.DpmSolverPlusPlus)
            {
                return x * (t.Sigma / s0.Sigma)
                       - d0 * (t.Alpha * (Math.Exp(-h) - 1.0))
                       + d1 * (t.Alpha * ((Math.Exp(-h) - 1.0) / h + 1.0))
                       - d2 * (t.Alpha * ((Math.Exp(-h) - 1.0 + h) / (h * h) - 0.5));
            }
            return x * (t.Alpha / s0.Alpha)
                   - d0 * (t.Sigma * (Math.Exp(h) - 1.0))
                   - d1 * (t.Sigma * ((Math.Exp(h) - 1.0) / h - 1.0))
                   - d2 * (t.Sigma * ((Math.Exp(h) - 1.0 - h) / (h * h) - 0.5));
        }

        protected override void DisposeHistory() => _outputs.Dispose();
    }
}

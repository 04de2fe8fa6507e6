using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// UniPC (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of Diffusion Models"), as
/// diffusers' <c>UniPCMultistepScheduler</c> (B(h) variants, no <c>solver_p</c>). With λ = log(α/σ), h = λ_t − λ_s,
/// the data prediction m = x̂_0 of the last steps, r_k = (λ_{s_k} − λ_s)/h and D_k = (m_k − m_0)/r_k, the predictor
/// UniP-p steps
/// <code>
/// x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) m_0 − α_t B(h) Σ_{k&lt;p} ρ_k D_k
/// </code>
/// and, once the model has been called at x_t, the corrector UniC-p replaces x_t by the same step from the corrected
/// x_s with one more term, ρ_p (m_t − m_0) (so the order of accuracy is p + 1; the model is not called again). The
/// weights ρ solve the Vandermonde system Σ_k ρ_k r_k^{j−1} = j!·hφ_{j+1}(h)/B(h) (hφ_1 = e^{−h} − 1,
/// hφ_{j+1} = hφ_j/(−h) − 1/j!); ρ = ½ for the single weight of UniP-2 and of UniC-1. B(h) = −h (bh1) or e^{−h} − 1
/// (bh2). The noise-prediction variant steps ε̂ with α and σ swapped and h for −h. The first steps are lower order (a
/// warm-up), as are the last with <see cref="UniPcOptions.LowerOrderFinal"/>. It reads every output kind on a
/// variance-preserving table and applies thresholding and the other x̂_0 limits to m.
/// </summary>
/// <remarks>
/// A step to clean data (σ_t = 0, h = ∞) is first order: it returns m_0, the limit of the update. diffusers 0.29.2
/// evaluates the update there as written and gets NaN for bh1 (its α_t B(h)·0 is −∞·0) and, with
/// <c>lower_order_final</c> off, for any order above 1 (r_k = 0); it agrees with this sampler wherever it is finite.
/// </remarks>
public sealed class UniPcSampler : ISampler
{
    /// <summary>Creates the sampler.</summary>
    public UniPcSampler(UniPcOptions? options = null)
    {
        Options = options ?? new UniPcOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public UniPcOptions Options { get; }

    /// <inheritdoc />
    public SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps)
    {
        ArgumentNullException.ThrowIfNull(process);
        // The flow grid starts at pure noise (α = 0), where λ = −∞ and the update has no finite step size.
        if (process is not INoiseSchedule)
            throw new ArgumentException($"{nameof(UniPcSampler)} builds its grid on a discrete schedule's table; {process} is {process.Kind}, whose grid starts at pure noise (α = 0, λ = −∞). Pass an explicit SigmaSchedule that starts below pure noise, such as SigmaSchedule.FlowMultistep (diffusers' use_flow_sigmas grid).", nameof(process));
        return MultistepSchedules.Create(process, steps, Options, Options.KarrasSigmas, Options.FinalSigma, nameof(UniPcSampler));
    }

    /// <inheritdoc />
    public void Validate(SigmaSchedule schedule, PredictionKind kind)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        PredictionConversion.CheckFits(kind, schedule.Process);
        if (schedule.StepCount < Options.Order)
            throw new ArgumentException($"UniPC of order {Options.Order} needs at least {Options.Order} steps; the schedule has {schedule.StepCount}. Lower the order or take more steps.", nameof(schedule));
        if (!Options.PredictX0 && schedule.EndsClean)
            throw new ArgumentException("The noise-prediction UniPC update cannot step to clean data (σ = 0); end the schedule at σ_min (FinalSigma.SigmaMin) or use PredictX0.", nameof(schedule));
        for (int i = 0; i < schedule.StepCount; i++)
            if (!(schedule[i].Alpha > 0))
                throw new ArgumentException($"UniPC steps in λ = log(α/σ), which is −∞ at pure noise; level {i} ({schedule[i]}) has α = 0. Start the schedule below pure noise.", nameof(schedule));
    }

    /// <inheritdoc />
    public int ModelCalls(SigmaSchedule schedule) => schedule?.StepCount ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc />
    public ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise) => new Run(Options, schedule, noise);

    /// <inheritdoc />
    public override string ToString()
        => $"UniPC({Options.Order}, {(Options.SolverType == UniPcSolverType.Bh1 ? "bh1" : "bh2")}{(Options.PredictX0 ? "" : ", ε")}"
           + $"{(Options.DisableCorrector.Count > 0 ? $", no corrector after steps {string.Join(" ", Options.DisableCorrector)}" : "")}"
           + $"{(Options.KarrasSigmas ? ", Karras" : "")}{Options.LimitsDescription()})";

    /// <summary>e^x − 1 without the cancellation of Math.Exp(x) − 1 for small x (Kahan's formula), as torch.expm1.</summary>
    private static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0 || double.IsPositiveInfinity(u)) return um1;
        return um1 * x / Math.Log(u);
    }

    /// <summary>Solves Σ_k r_k^j ρ_k = b_j (j, k &lt; b.Length): Gaussian elimination with partial pivoting, for diffusers' torch.linalg.solve.</summary>
    private static double[] SolveVandermonde(double[] r, double[] b)
    {
        int n = b.Length;
        var a = new double[n, n + 1];
        for (int j = 0; j < n; j++)
        {
            for (int k = 0; k < n; k++) a[j, k] = Math.Pow(r[k], j);
            a[j, n] = b[j];
        }
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int j = c + 1; j < n; j++)
                if (Math.Abs(a[j, c]) > Math.Abs(a[pivot, c])) pivot = j;
            if (a[pivot, c] == 0)
                throw new InvalidOperationException("UniPC's weights are undetermined: two of the last levels have the same λ.");
            if (pivot != c)
                for (int k = c; k <= n; k++) (a[c, k], a[pivot, k]) = (a[pivot, k], a[c, k]);
            for (int j = c + 1; j < n; j++)
            {
                double f = a[j, c] / a[c, c];
                for (int k = c; k <= n; k++) a[j, k] -= f * a[c, k];
            }
        }
        var rho = new double[n];
        for (int j = n - 1; j >= 0; j--)
        {
            double s = a[j, n];
            for (int k = j + 1; k < n; k++) s -= a[j, k] * rho[k];
            rho[j] = s / a[j, j];
        }
        return rho;
    }

    private sealed class Run(UniPcOptions options, SigmaSchedule schedule, INoiseSource noise) : SamplerRun(schedule, noise)
    {
        private readonly OutputHistory _outputs = new(options.Order);
        private Tensor? _lastSample;
        private int _lowerOrderSteps;
        private int _lastOrder;

        protected override SamplerStep TakeStep(int index, Tensor sample, IDenoiser denoiser)
        {
            int n = Schedule.StepCount;
            var level = Schedule[index];
            var next = Schedule[index + 1];

            using var scope = NewDisposeScope();
            Tensor m0, x0;
            using (var prediction = Call(denoiser, sample, level))
            {
                if (options.PredictX0)
                {
                    m0 = options.Limit(prediction.ToOriginal(sample, level));
                    x0 = m0;
                }
                else
                {
                    m0 = prediction.ToEpsilon(sample, level);
                    x0 = (sample - m0 * level.Sigma) / level.Alpha;
                }
            }

            // The corrector refines the state the last predictor produced, from that predictor's start and this output.
            var x = _lastSample is { } last && !options.DisableCorrector.Contains(index - 1)
                ? Correct(m0, last, Schedule[index - 1], level, _lastOrder)
                : sample;
            _outputs.Push(m0, level.LogSnr);

            int order = options.LowerOrderFinal ? Math.Min(options.Order, n - index) : options.Order;
            order = Math.Min(order, _lowerOrderSteps + 1);
            if (next.IsClean) order = 1;

            _lastSample?.Dispose();
            _lastSample = x.alias().DetachFromDisposeScope();
            var result = Predict(x, level, next, order);
            _lastOrder = order;
            if (_lowerOrderSteps < options.Order) _lowerOrderSteps++;
            return new SamplerStep(scope.MoveToOuter(result), scope.MoveToOuter(x0.alias()));
        }

        /// <summary>UniP-<paramref name="order"/> from <paramref name="x"/> at s_0 to t, with m_0 the newest output.</summary>
        private Tensor Predict(Tensor x, NoiseLevel s0, NoiseLevel t, int order)
        {
            var m0 = _outputs[0];
            double h = t.LogSnr - s0.LogSnr;
            var (rks, d1s) = Differences(m0, s0.LogSnr, h, order);
            var (hPhi1, bh, b) = Coefficients(h, order);
            var stepped = Exponential(x, m0, s0, t, hPhi1);
            if (order == 1) return stepped;
            var residual = order == 2 ? d1s[0] * 0.5 : Combine(SolveVandermonde(rks[..^1], b[..^1]), d1s);
            return stepped - residual * (Scale(t) * bh);
        }

        /// <summary>UniC-<paramref name="order"/>: the step s_0 → t again from <paramref name="last"/>, with the new output m_t (before it joins the history).</summary>
        private Tensor Correct(Tensor mt, Tensor last, NoiseLevel s0, NoiseLevel t, int order)
        {
            var m0 = _outputs[0];
            double h = t.LogSnr - s0.LogSnr;
            var (rks, d1s) = Differences(m0, s0.LogSnr, h, order);
            var (hPhi1, bh, b) = Coefficients(h, order);
            double[] rhos = order == 1 ? [0.5] : SolveVandermonde(rks, b);
            var stepped = Exponential(last, m0, s0, t, hPhi1);
            var d1t = mt - m0;
            var residual = order == 1 ? d1t * rhos[^1] : Combine(rhos[..^1], d1s) + d1t * rhos[^1];
            return stepped - residual * (Scale(t) * bh);
        }

        /// <summary>r_k = (λ_{s_k} − λ_{s_0})/h and D_k = (m_k − m_0)/r_k over history entries 1 … order − 1; r ends with 1.</summary>
        private (double[] Rks, Tensor[] D1s) Differences(Tensor m0, double lambdaS0, double h, int order)
        {
            var rks = new double[order];
            var d1s = new Tensor[order - 1];
            for (int i = 1; i < order; i++)
            {
                double rk = (_outputs.LogSnr(i) - lambdaS0) / h;
                rks[i - 1] = rk;
                d1s[i - 1] = (_outputs[i] - m0) / rk;
            }
            rks[order - 1] = 1.0;
            return (rks, d1s);
        }

        /// <summary>hφ_1 = e^{ĥ} − 1, B(ĥ) and b_j = j!·hφ_{j+1}/B(ĥ) for j = 1 … order, with ĥ = −h for data prediction (diffusers' <c>hh</c>).</summary>
        private (double HPhi1, double Bh, double[] B) Coefficients(double h, int order)
        {
            double hh = options.PredictX0 ? -h : h;
            double hPhi1 = ExpM1(hh);
            double hPhiK = hPhi1 / hh - 1;
            double factorial = 1;
            double bh = options.SolverType == UniPcSolverType.Bh1 ? hh : ExpM1(hh);
            var b = new double[order];
            for (int i = 1; i <= order; i++)
            {
                b[i - 1] = hPhiK * factorial / bh;
                factorial *= i + 1;
                hPhiK = hPhiK / hh - 1 / factorial;
            }
            return (hPhi1, bh, b);
        }

        /// <summary>The first-order (DDIM) part of the step: (σ_t/σ_s) x − α_t hφ_1 m_0, or (α_t/α_s) x − σ_t hφ_1 ε̂_0.</summary>
        private Tensor Exponential(Tensor x, Tensor m0, NoiseLevel s0, NoiseLevel t, double hPhi1)
            => options.PredictX0
                ? x * (t.Sigma / s0.Sigma) - m0 * (t.Alpha * hPhi1)
                : x * (t.Alpha / s0.Alpha) - m0 * (t.Sigma * hPhi1);

        /// <summary>The scale of the B(h) term: α_t for data prediction, σ_t for noise prediction.</summary>
        private double Scale(NoiseLevel t) => options.PredictX0 ? t.Alpha : t.Sigma;

        /// <summary>Σ_k ρ_k D_k (diffusers' einsum over k).</summary>
        private static Tensor Combine(double[] rhos, Tensor[] d1s)
        {
            var sum = d1s[0] * rhos[0];
            for (int k = 1; k < d1s.Length; k++) sum = sum + d1s[k] * rhos[k];
            return sum;
        }

        protected override void DisposeHistory()
        {
            _outputs.Dispose();
            _lastSample?.Dispose();
            _lastSample = null;
        }
    }
}

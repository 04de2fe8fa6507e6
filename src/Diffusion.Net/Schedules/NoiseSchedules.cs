namespace Diffusion.Net.Schedules;

/// <summary>Factories for the noise schedules used by DDPM, DeepFloyd IF and CS180.</summary>
public static class NoiseSchedules
{
    /// <summary>
    /// Linear β from <paramref name="betaStart"/> to <paramref name="betaEnd"/> over <paramref name="steps"/> entries
    /// (DDPM, Ho et al. 2020). CS180 Part B uses <c>Linear(1e-4, 0.02, 300)</c>.
    /// </summary>
    /// <remarks>
    /// Indexing convention (CS180 spec §4.5): the table has exactly <paramref name="steps"/> entries, index i holds
    /// β = linspace(betaStart, betaEnd, steps)[i] and corresponds to the paper's t = i + 1; the paper's ᾱ_0 := 1 is
    /// <see cref="INoiseSchedule.AlphaBar"/>(−1). So β_1 = 1e-4 and β_T = 0.02 both hold, and sampling "t = T … 1"
    /// walks the indices T − 1 … 0, each stepping to index − 1.
    /// </remarks>
    public static NoiseSchedule Linear(double betaStart = 1e-4, double betaEnd = 0.02, int steps = 300,
        SchedulePrecision precision = SchedulePrecision.Float64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!(betaStart > 0 && betaStart <= betaEnd && betaEnd < 1))
            throw new ArgumentOutOfRangeException(nameof(betaStart), $"Linear betas need 0 < betaStart ≤ betaEnd < 1; got {betaStart} and {betaEnd}.");
        var betas = new double[steps];
        if (precision == SchedulePrecision.PyTorchFloat32)
        {
            var table = TorchLinspace.Float32(betaStart, betaEnd, steps);
            for (int i = 0; i < steps; i++) betas[i] = table[i];
        }
        else
        {
            for (int i = 0; i < steps; i++)
                betas[i] = steps == 1 ? betaStart : betaStart + (betaEnd - betaStart) * i / (steps - 1);
        }
        return new NoiseSchedule(betas, precision, FormattableString.Invariant($"linear({betaStart}, {betaEnd}, T={steps})"));
    }

    /// <summary>"scaled_linear" (Stable Diffusion): β = linspace(√betaStart, √betaEnd, steps)².</summary>
    public static NoiseSchedule ScaledLinear(double betaStart = 0.00085, double betaEnd = 0.012, int steps = 1000,
        SchedulePrecision precision = SchedulePrecision.Float64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!(betaStart > 0 && betaStart <= betaEnd && betaEnd < 1))
            throw new ArgumentOutOfRangeException(nameof(betaStart), $"Scaled-linear betas need 0 < betaStart ≤ betaEnd < 1; got {betaStart} and {betaEnd}.");
        double a = Math.Sqrt(betaStart), b = Math.Sqrt(betaEnd);
        var betas = new double[steps];
        var table = precision == SchedulePrecision.PyTorchFloat32 ? TorchLinspace.Float32(a, b, steps) : null;
        for (int i = 0; i < steps; i++)
        {
            if (table is not null)
            {
                betas[i] = table[i] * table[i];
                continue;
            }
            double r = steps == 1 ? a : a + (b - a) * i / (steps - 1);
            betas[i] = r * r;
        }
        return new NoiseSchedule(betas, precision, FormattableString.Invariant($"scaled_linear({betaStart}, {betaEnd}, T={steps})"));
    }

    /// <summary>
    /// The cosine schedule of Nichol &amp; Dhariwal (2021), diffusers' <c>squaredcos_cap_v2</c>, used by DeepFloyd IF:
    /// ᾱ(s) = cos²((s + 0.008)/1.008 · π/2), β_i = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), <paramref name="maxBeta"/>).
    /// </summary>
    /// <param name="steps">T (1000 for IF).</param>
    /// <param name="maxBeta">The cap on β (0.999).</param>
    /// <param name="precision"><see cref="SchedulePrecision.PyTorchFloat32"/> reproduces diffusers' float32 table bit for bit.</param>
    public static NoiseSchedule SquaredCosCapV2(int steps = 1000, double maxBeta = 0.999,
        SchedulePrecision precision = SchedulePrecision.Float64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!(maxBeta > 0 && maxBeta <= 1)) throw new ArgumentOutOfRangeException(nameof(maxBeta), maxBeta, "maxBeta must lie in (0, 1].");
        static double AlphaBarFn(double s)
        {
            double c = Math.Cos((s + 0.008) / 1.008 * Math.PI / 2);
            return c * c;
        }
        var betas = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            double t1 = (double)i / steps, t2 = (double)(i + 1) / steps;
            betas[i] = Math.Min(1 - AlphaBarFn(t2) / AlphaBarFn(t1), maxBeta);
        }
        return new NoiseSchedule(betas, precision, FormattableString.Invariant($"squaredcos_cap_v2(T={steps}, max β={maxBeta})"));
    }

    /// <summary>A schedule from its table of ᾱ (strictly decreasing, in (0, 1]); β_t = 1 − ᾱ_t/ᾱ_{t−1}.</summary>
    public static NoiseSchedule FromAlphaBars(IReadOnlyList<double> alphaBars, SchedulePrecision precision = SchedulePrecision.Float64)
    {
        ArgumentNullException.ThrowIfNull(alphaBars);
        if (alphaBars.Count == 0) throw new ArgumentException("The alpha-bar table is empty.", nameof(alphaBars));
        var betas = new double[alphaBars.Count];
        double previous = 1.0;
        for (int i = 0; i < alphaBars.Count; i++)
        {
            double a = alphaBars[i];
            if (!(a > 0 && a < previous))
                throw new ArgumentException($"ᾱ must be strictly decreasing inside (0, 1]; entry {i} is {a} after {previous}.", nameof(alphaBars));
            betas[i] = 1 - a / previous;
            previous = a;
        }
        return new NoiseSchedule(betas, precision, $"alpha-bar table(T={alphaBars.Count})");
    }

    /// <summary>A schedule from its table of β.</summary>
    public static NoiseSchedule FromBetas(IReadOnlyList<double> betas, SchedulePrecision precision = SchedulePrecision.Float64)
        => new(betas, precision);
}

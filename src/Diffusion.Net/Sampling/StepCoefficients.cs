using Diffusion.Net.Schedules;

namespace Diffusion.Net.Sampling;

/// <summary>
/// The scalar coefficients of one reverse step t → t′, computed as diffusers computes them: in float32 arithmetic
/// when the schedule is <see cref="SchedulePrecision.PyTorchFloat32"/> (so that, e.g., β_t = 1 − ᾱ_t/ᾱ_{t′} carries
/// the same cancellation error and results match to the last digit), in float64 otherwise.
/// </summary>
internal readonly record struct StepCoefficients(
    double SqrtAlphaBar, double SqrtBetaBar, double SqrtAlphaBarPrev, double SqrtBetaBarPrev,
    double OriginalCoefficient, double SampleCoefficient, double Beta, double Posterior, double AlphaBarPrev, double BetaBarPrev, double BetaBar)
{
    public static StepCoefficients Compute(INoiseSchedule schedule, int timestep, int previousTimestep)
    {
        bool float32 = schedule is NoiseSchedule { Precision: SchedulePrecision.PyTorchFloat32 };
        if (float32)
        {
            float ab = (float)schedule.AlphaBar(timestep);
            float abp = previousTimestep >= 0 ? (float)schedule.AlphaBar(previousTimestep) : 1f;
            float bb = 1f - ab, bbp = 1f - abp;
            float a = ab / abp, b = 1f - a;
            float posterior = MathF.Max(bbp / bb * b, 1e-20f);
            return new StepCoefficients(
                MathF.Sqrt(ab), MathF.Sqrt(bb), MathF.Sqrt(abp), MathF.Sqrt(bbp),
                MathF.Sqrt(abp) * b / bb, MathF.Sqrt(a) * bbp / bb, b, posterior, abp, bbp, bb);
        }
        else
        {
            double ab = schedule.AlphaBar(timestep);
            double abp = schedule.AlphaBar(previousTimestep);
            double bb = 1 - ab, bbp = 1 - abp;
            double a = ab / abp, b = 1 - a;
            double posterior = Math.Max(bbp / bb * b, 1e-20);
            return new StepCoefficients(
                Math.Sqrt(ab), Math.Sqrt(bb), Math.Sqrt(abp), Math.Sqrt(bbp),
                Math.Sqrt(abp) * b / bb, Math.Sqrt(a) * bbp / bb, b, posterior, abp, bbp, bb);
        }
    }

    /// <summary>log β_t and log β̃_t, in the schedule's precision.</summary>
    public (double LogBeta, double LogPosterior) Logs(INoiseSchedule schedule)
        => schedule is NoiseSchedule { Precision: SchedulePrecision.PyTorchFloat32 }
            ? (MathF.Log((float)Beta), MathF.Log((float)Posterior))
            : (Math.Log(Beta), Math.Log(Posterior));
}

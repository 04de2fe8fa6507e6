namespace Diffusion.Net.Pipelines;

/// <summary>Progress of a pipeline run, reported after every sampler step.</summary>
/// <param name="Step">Steps completed so far in the whole run (1-based after the first step).</param>
/// <param name="TotalSteps">Steps the run takes in all.</param>
/// <param name="Timestep">The model timestep just stepped from.</param>
/// <param name="PreviousTimestep">The timestep reached (the process's clean timestep, −1 for a discrete schedule, at the end).</param>
/// <param name="Elapsed">Wall time since the run started.</param>
/// <param name="Stage">The pipeline link's description.</param>
/// <param name="ModelCalls">Model calls made so far in the whole run (a guided call counts once).</param>
public readonly record struct DiffusionProgress(int Step, int TotalSteps, double Timestep, double PreviousTimestep, TimeSpan Elapsed, string Stage, int ModelCalls)
{
    /// <summary>The fraction done, in [0, 1].</summary>
    public double Fraction => TotalSteps == 0 ? 1 : (double)Step / TotalSteps;
}

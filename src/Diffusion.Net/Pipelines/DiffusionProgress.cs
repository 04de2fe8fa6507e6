namespace Diffusion.Net.Pipelines;

/// <summary>Progress of a pipeline run, reported after every denoising step.</summary>
/// <param name="Step">Steps completed so far in the whole run (1-based after the first step).</param>
/// <param name="TotalSteps">Steps the run takes in all.</param>
/// <param name="Timestep">The timestep just stepped from.</param>
/// <param name="PreviousTimestep">The timestep reached (−1 = clean).</param>
/// <param name="Elapsed">Wall time since the run started.</param>
/// <param name="Stage">The pipeline step's description.</param>
public readonly record struct DiffusionProgress(int Step, int TotalSteps, int Timestep, int PreviousTimestep, TimeSpan Elapsed, string Stage)
{
    /// <summary>The fraction done, in [0, 1].</summary>
    public double Fraction => TotalSteps == 0 ? 1 : (double)Step / TotalSteps;
}

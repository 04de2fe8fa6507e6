using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// One run of a sampler over its <see cref="SigmaSchedule"/>: it takes the steps in order and owns the history a
/// multistep method needs. Dispose it when the run ends, normally or not; disposing releases that history.
/// </summary>
/// <remarks>
/// A run may hold its state in its own scaling of the process's sample x (Euler and Heun on a variance-preserving
/// process step x/α, diffusers' "VE" sample): <see cref="StateScale"/> says by how much, so that the loop can hand
/// hooks and trajectories the right scales.
/// </remarks>
public interface ISamplerRun : IDisposable
{
    /// <summary>The levels this run walks.</summary>
    SigmaSchedule Schedule { get; }

    /// <summary>How many steps have been taken.</summary>
    int StepIndex { get; }

    /// <summary>The factor c with state = c·x at level <paramref name="levelIndex"/> (1 for most samplers).</summary>
    double StateScale(int levelIndex);

    /// <summary>
    /// The state at the first level for an incoming sample x (a new tensor). <paramref name="pureNoise"/> says x is the
    /// pipeline's initial standard normal draw rather than a noised image; samplers then scale it as diffusers scales its
    /// initial latents (<c>init_noise_sigma</c>).
    /// </summary>
    Tensor Begin(Tensor sample, bool pureNoise);

    /// <summary>
    /// Takes step <see cref="StepIndex"/>: from <paramref name="state"/> at that level to the next one, calling
    /// <paramref name="denoiser"/> as many times as the method needs.
    /// </summary>
    /// <returns>The next state and the step's x̂_0 estimate; the caller owns both.</returns>
    /// <exception cref="InvalidOperationException">Every step has been taken.</exception>
    SamplerStep Step(Tensor state, IDenoiser denoiser);
}

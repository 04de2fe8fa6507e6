using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests.Support;

/// <summary>
/// Plays a recorded case's model back: call i returns <c>call{i}.model_output</c>, after checking that the sampler
/// passed the recorded model input and timestep.
/// </summary>
internal sealed class ReplayDenoiser(SamplerCase recorded, double inputTolerance) : IDenoiser
{
    /// <summary>The index of the call being answered (−1 before the first).</summary>
    public int Call { get; private set; } = -1;

    public int Calls => Call + 1;

    public PredictionKind Kind => recorded.OutputKind;

    public ModelPrediction Predict(Tensor sample, NoiseLevel level)
    {
        Call++;
        if (Call >= recorded.Calls.Count) throw new InvalidOperationException($"{recorded.Name}: call {Call} was not recorded (diffusers made {recorded.Calls.Count}).");
        using (var scope = NewDisposeScope())
            TensorAssert.Close(sample, recorded.Read($"call{Call}.model_input"), inputTolerance, because: $"{recorded.Name}: the model input of call {Call}");
        double timestep = recorded.Calls[Call].Timestep;
        if (Math.Abs(level.Timestep - timestep) > 1e-4 * Math.Max(1, Math.Abs(timestep)))
            throw new InvalidOperationException($"{recorded.Name}: call {Call} is at timestep {level.Timestep}; diffusers passed {timestep}.");
        using var output = recorded.Read($"call{Call}.model_output");
        return ModelPrediction.FromModelOutput(output, (int)recorded.Shape[1], recorded.OutputKind);
    }
}

/// <summary>Serves each recorded draw of the call being answered, in order.</summary>
internal sealed class ReplayNoise(SamplerCase recorded, ReplayDenoiser denoiser) : INoiseSource
{
    private int _call = -1;
    private int _draw;

    public int Draws { get; private set; }

    public Tensor Next(long[] shape, ScalarType dtype, Device device)
    {
        if (denoiser.Call != _call)
        {
            _call = denoiser.Call;
            _draw = 0;
        }
        string key = $"call{_call}.draw{_draw}";
        if (!recorded.Has(key)) throw new InvalidOperationException($"{recorded.Name}: draw {_draw} of call {_call} was not recorded.");
        _draw++;
        Draws++;
        var noise = recorded.Read(key);
        if (!noise.shape.SequenceEqual(shape)) throw new InvalidOperationException($"{recorded.Name}: {key} has shape [{string.Join(", ", noise.shape)}], the sampler drew [{string.Join(", ", shape)}].");
        return noise.to(dtype, device);
    }
}

using System.Text.Json;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests.Support;

internal static partial class SamplerCaseReaders
{
    /// <summary>
    /// diffusers' <c>FlowMatchEulerDiscreteScheduler</c> config as a flow-matching <see cref="EulerSampler"/>. diffusers
    /// reads that scheduler's model output as the flow velocity, while the replayed model labels every output ε; the
    /// wrapper relabels the replayed outputs (the values are untouched) so that the sampler reads them as diffusers does.
    /// </summary>
    public static ISampler FlowMatchEuler(JsonElement config)
        => new FlowVelocityReplay(new EulerSampler(new EulerSamplerOptions { FlowMatching = true, Shift = config.GetProperty("shift").GetDouble() }));

    /// <summary>A sampler whose model calls answer with flow velocities: an ε-labelled output is relabelled.</summary>
    private sealed class FlowVelocityReplay(ISampler inner) : ISampler
    {
        public SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps) => inner.CreateSchedule(process, steps);

        public void Validate(SigmaSchedule schedule, PredictionKind kind) => inner.Validate(schedule, Relabel(kind));

        public int ModelCalls(SigmaSchedule schedule) => inner.ModelCalls(schedule);

        public ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise) => new RunOf(inner.Start(schedule, noise));

        public override string ToString() => inner.ToString()!;

        private static PredictionKind Relabel(PredictionKind kind) => kind == PredictionKind.Epsilon ? PredictionKind.FlowVelocity : kind;

        private sealed class RunOf(ISamplerRun run) : ISamplerRun
        {
            public SigmaSchedule Schedule => run.Schedule;

            public int StepIndex => run.StepIndex;

            public double StateScale(int levelIndex) => run.StateScale(levelIndex);

            public Tensor Begin(Tensor sample, bool pureNoise) => run.Begin(sample, pureNoise);

            public SamplerStep Step(Tensor state, IDenoiser denoiser) => run.Step(state, new Relabelled(denoiser));

            public void Dispose() => run.Dispose();
        }

        private sealed class Relabelled(IDenoiser denoiser) : IDenoiser
        {
            public PredictionKind Kind => Relabel(denoiser.Kind);

            public ModelPrediction Predict(Tensor sample, NoiseLevel level)
            {
                var prediction = denoiser.Predict(sample, level);
                // The new prediction takes over the tensors.
                return new ModelPrediction(prediction.Output, Relabel(prediction.Kind), prediction.Variance);
            }
        }
    }
}

using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Prediction;
using Diffusion.Net.Training;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// The ε-prediction loss of the library's <see cref="EpsilonPredictionObjective"/> with its random draws (t, ε and the
/// condition dropout, already applied to the labels) taken from the batch file, so that both engines see the same
/// numbers: the network's <c>Predict</c> at timestep indices t, the prediction and ε (in the training dtype, as the
/// objective casts its noise) taken to float32, and their mean squared error.
/// </summary>
internal sealed class TrainingFixedObjective(ClassConditionalUNet model, Tensor timesteps, Tensor target) : ITrainingObjective
{
    public string Name => "ε-prediction, class-conditional, fixed batch";

    public Tensor Loss(TrainingBatch batch, Generator generator)
    {
        var labels = batch.Labels!.data<long>().ToArray();
        using var prediction = model.Predict(batch.Images, timesteps, new ClassCondition(labels));
        using var predicted = prediction.Output.to(ScalarType.Float32);
        using var noise = target.to(batch.Images.dtype);
        using var rounded = noise.to(ScalarType.Float32);
        return nn.functional.mse_loss(predicted, rounded);
    }
}

using System.Globalization;
using Diffusion.Net.Mnist.Hosting;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Training;
using Microsoft.Extensions.Options;

namespace Diffusion.Net.Samples.Web;

/// <summary>
/// On start: uses the weights at <see cref="WebSampleOptions.ModelPath"/> if they exist, else (when allowed) trains the
/// recipe into that folder, reporting progress to <see cref="ModelStatus"/>. Training is resumable: the trainer
/// checkpoints every epoch, so a restart continues where it stopped.
/// </summary>
public sealed class ModelPreparation(IOptions<WebSampleOptions> options, ModelStatus status, MnistDataProvider mnist, ILogger<ModelPreparation> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var path = Path.GetFullPath(o.ModelPath);
        if (File.Exists(path))
        {
            status.Set(new("ready", $"Model: {path}", 100, null, null, null));
            logger.LogInformation("Serving {Path}", path);
            return;
        }
        if (!o.TrainIfMissing)
        {
            status.Set(new("missing", $"No model at {path}. Run the MNIST sample's main job, or set DiffusionWeb:TrainIfMissing to true.", 0, null, null, null));
            return;
        }
        try
        {
            var recipe = MnistRecipes.Get(o.Recipe);
            if (o.Hidden is { } hidden) recipe = recipe with { Hidden = hidden };
            recipe = recipe with
            {
                Training = recipe.Training with
                {
                    Epochs = o.TrainEpochs ?? recipe.Training.Epochs,
                    ItemsPerEpoch = o.TrainItemsPerEpoch ?? recipe.Training.ItemsPerEpoch,
                    CheckpointDirectory = Path.GetDirectoryName(path),
                },
            };
            status.Set(new("training", "Loading MNIST…", 0, null, null, null));
            using var train = await mnist.LoadAsync(MnistSplit.Train, stoppingToken);
            status.Set(new("training", $"Training the {recipe.Name} preset (D = {recipe.Hidden}, {recipe.Training.Epochs} epochs)…", 0, 0, recipe.Training.Epochs, null));
            logger.LogInformation("No model at {Path}: training {Recipe}", path, recipe.Name);
            using var model = MnistTraining.CreateModel(recipe);
            await MnistTraining.CreateTrainer(recipe, model).TrainAsync(train, new TrainingStatus(status, recipe.Name), stoppingToken);
            var written = Path.Combine(recipe.Training.CheckpointDirectory!, DiffusionTrainer.ModelFileName);
            if (!string.Equals(written, path, StringComparison.Ordinal)) File.Copy(written, path, overwrite: true);
            status.Set(new("ready", $"Trained and saved to {path}", 100, recipe.Training.Epochs, recipe.Training.Epochs, null));
            logger.LogInformation("Trained {Recipe} into {Path}", recipe.Name, path);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "Training on start failed");
            status.Set(new("failed", $"Training failed: {e.Message}", 0, null, null, null));
        }
    }

    /// <summary>
    /// Sets the status on the training thread as each report arrives. <see cref="Progress{T}"/> would post the reports
    /// to the thread pool instead, where a late one can land after "ready" and turn the status back to "training".
    /// </summary>
    private sealed class TrainingStatus(ModelStatus status, string recipe) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p) => status.Set(new("training",
            string.Create(CultureInfo.InvariantCulture, $"Training the {recipe} preset: epoch {p.Epoch}/{p.Epochs}, loss {p.Loss:0.0000}"),
            100.0 * ((p.Epoch - 1) * (double)p.StepsPerEpoch + p.Step) / Math.Max(1, p.Epochs * (double)p.StepsPerEpoch), p.Epoch, p.Epochs, p.Loss));
    }
}

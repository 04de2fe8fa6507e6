using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.IO;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Loading;

/// <summary>
/// A DeepFloyd IF stage loaded from its published diffusers folder (<c>model_index.json</c>, <c>unet/</c>,
/// <c>scheduler/</c>, optionally <c>text_encoder/</c> + <c>tokenizer/</c>, and <c>image_noising_scheduler/</c> for
/// stage II). It is a noise predictor for the core: conditions are text embeddings (stage I) or text embeddings plus
/// an <see cref="ImageCondition"/> with the noise level (stage II). The UNet computes in its weight dtype; inputs are
/// cast to it and outputs back, so pipelines may run in float32 around a bfloat16 network.
/// </summary>
public sealed class DeepFloydModel : IDeepFloydModel, IDisposable
{
    private DeepFloydModel(string folder, IFUNet unet, DdpmSchedulerConfig scheduler, DdpmSchedulerConfig? imageNoising, T5TextEncoder? textEncoder)
    {
        Folder = folder;
        UNet = unet;
        SchedulerConfig = scheduler;
        Schedule = scheduler.CreateSchedule();
        Sampler = scheduler.CreateSampler();
        ImageNoisingSchedulerConfig = imageNoising;
        ImageNoisingSchedule = imageNoising?.CreateSchedule();
        TextEncoder = textEncoder;
    }

    /// <summary>The folder it was loaded from.</summary>
    public string Folder { get; }

    /// <summary>The UNet.</summary>
    public IFUNet UNet { get; }

    /// <inheritdoc />
    public IFUNetConfig UNetConfig => UNet.Config;

    /// <inheritdoc />
    public Device Device => UNet.Allocation.Device;

    /// <summary>The weight dtype (float32, bfloat16, or float16 on CUDA).</summary>
    public ScalarType DType => UNet.Allocation.DType;

    /// <summary>The scheduler config (scheduler/scheduler_config.json).</summary>
    public DdpmSchedulerConfig SchedulerConfig { get; }

    /// <summary>The training schedule (the discrete variance-preserving table).</summary>
    public INoiseSchedule Schedule { get; }

    /// <inheritdoc />
    public IDiffusionProcess Process => Schedule;

    /// <summary>What the UNet predicts, from the scheduler config's <c>prediction_type</c> (ε for every published IF stage).</summary>
    public PredictionKind OutputKind => SchedulerConfig.PredictionType;

    /// <summary>
    /// The pipelines' default sampler: DDPM with the config's variance (learned range), thresholding, clipping and
    /// spacing. Any other sampler fits too; <c>SchedulerConfig.Configure(options)</c> gives it the config's thresholding.
    /// </summary>
    public DdpmSampler Sampler { get; }

    ISampler IDeepFloydModel.Sampler => Sampler;

    /// <summary>Stage II's image-noising scheduler config, or null.</summary>
    public DdpmSchedulerConfig? ImageNoisingSchedulerConfig { get; }

    /// <summary>Stage II's image-noising schedule, or null.</summary>
    public INoiseSchedule? ImageNoisingSchedule { get; }

    /// <summary>The text encoder, when loaded.</summary>
    public T5TextEncoder? TextEncoder { get; }

    /// <summary>Whether this is a stage II (super-resolution) model.</summary>
    public bool IsSuperResolution => UNet.Config.IsSuperResolution;

    /// <summary>The image size the model was trained at.</summary>
    public int SampleSize => UNet.Config.SampleSize;

    /// <summary>Loads a stage on a worker thread.</summary>
    public static Task<DeepFloydModel> LoadAsync(string folder, DeepFloydOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
        => Task.Run(() => Load(folder, options, logger, cancellationToken), cancellationToken);

    /// <summary>
    /// Loads a stage: configs are read and validated, the UNet is built from its config with uninitialised weights
    /// in the target dtype, and every tensor is read from safetensors straight into it (converting F32/F16/BF16), so
    /// peak memory is about one copy of the weights. Names and shapes are checked before anything is read.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder or a required component is missing.</exception>
    /// <exception cref="FileNotFoundException">A config or weight file is missing.</exception>
    /// <exception cref="ModelConfigException">A config is malformed or unsupported.</exception>
    /// <exception cref="SafetensorsFormatException">A weight file is malformed.</exception>
    /// <exception cref="WeightsMismatchException">The weights do not fit the config (names listed).</exception>
    public static DeepFloydModel Load(string folder, DeepFloydOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        options ??= DeepFloydOptions.Float32;
        options.Validate();
        logger ??= NullLogger.Instance;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The DeepFloyd folder '{folder}' does not exist.");
        var unetFolder = Path.Combine(folder, "unet");
        if (!Directory.Exists(unetFolder)) throw new DirectoryNotFoundException($"'{folder}' has no unet/ folder; is it a diffusers DeepFloyd IF pipeline folder?");
        var config = IFUNetConfig.Load(Path.Combine(unetFolder, "config.json"), options.Limits);
        var scheduler = DdpmSchedulerConfig.Load(Path.Combine(folder, "scheduler", "scheduler_config.json"), options.Limits);
        DdpmSchedulerConfig? imageNoising = null;
        var noisingPath = Path.Combine(folder, "image_noising_scheduler", "scheduler_config.json");
        if (config.IsSuperResolution)
        {
            imageNoising = File.Exists(noisingPath)
                ? DdpmSchedulerConfig.Load(noisingPath, options.Limits)
                : throw new FileNotFoundException($"Stage II needs image_noising_scheduler/scheduler_config.json in '{folder}'.", noisingPath);
        }
        cancellationToken.ThrowIfCancellationRequested();

        var allocation = new WeightAllocation(options.Device ?? CPU, options.DType);
        var unet = new IFUNet(config, allocation);
        try
        {
            using (var weights = WeightFiles.Open(unetFolder, "diffusion_pytorch_model", options.Variant))
            {
                logger.LogInformation("Loading the IF UNet ({Parameters:N0} parameters, {DType}) from {Source}", unet.ParameterCount, options.DType, weights.Description);
                ModuleWeights.Load(unet, weights);
            }
            unet.eval();
            if (options.PackUNetConvolutionWeights)
            {
                bool packing = unet.PackConvolutionWeights();
                logger.LogInformation("IF UNet convolution weights packed for oneDNN at the first forward pass: {Packing}", packing);
            }
            T5TextEncoder? encoder = null;
            if (options.LoadTextEncoder && Directory.Exists(Path.Combine(folder, "text_encoder")))
                encoder = T5TextEncoder.Load(folder, options, logger);
            else if (options.LoadTextEncoder)
                logger.LogWarning("LoadTextEncoder is set but {Folder} has no text_encoder/ folder; prompts must come from precomputed embeddings", folder);
            return new DeepFloydModel(folder, unet, scheduler, imageNoising, encoder);
        }
        catch
        {
            unet.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an already built UNet and scheduler (e.g. random weights for benchmarks).</summary>
    public static DeepFloydModel FromParts(IFUNet unet, DdpmSchedulerConfig scheduler, DdpmSchedulerConfig? imageNoising = null)
    {
        ArgumentNullException.ThrowIfNull(unet);
        ArgumentNullException.ThrowIfNull(scheduler);
        if (unet.Config.IsSuperResolution && imageNoising is null) throw new ArgumentException("Stage II needs its image-noising scheduler.", nameof(imageNoising));
        return new DeepFloydModel("(in memory)", unet, scheduler, imageNoising, null);
    }

    /// <summary>
    /// ε̂ and the learned-range variance. Stage I takes a <see cref="TextCondition"/>; stage II a
    /// <see cref="CompositeCondition"/> of text and an <see cref="ImageCondition"/> (upscaled noised image, noise level).
    /// A text mask, when given, goes to the UNet (the IF pipelines pass none).
    /// </summary>
    public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(condition);
        var text = condition as TextCondition ?? (condition as CompositeCondition)?.Get<TextCondition>()
                   ?? throw new ArgumentException($"DeepFloyd IF needs text embeddings (Condition.Text); got {condition}.", nameof(condition));
        var image = (condition as CompositeCondition)?.Get<ImageCondition>();
        if (IsSuperResolution && (image?.NoiseLevel is null))
            throw new ArgumentException("Stage II needs Condition.Combine(text, new ImageCondition(upscaledImage, noiseLevel)).", nameof(condition));
        ValidateSample(sample.shape);
        if (IsSuperResolution)
        {
            var up = image!.Image;
            int imageChannels = UNet.Config.InChannels - UNet.Config.SampleChannels;
            if (up.shape[1] != imageChannels || up.shape[2] != sample.shape[2] || up.shape[3] != sample.shape[3])
                throw new ArgumentException($"Stage II's image condition must be [B, {imageChannels}, {sample.shape[2]}, {sample.shape[3]}] (the state's size); got [{string.Join(", ", up.shape)}].", nameof(condition));
        }
        long b = sample.shape[0];
        if (text.BatchSize != b) text = (TextCondition)text.Repeat((int)b);
        using var scope = NewDisposeScope();
        var dtype = UNet.Allocation.DType;
        var input = sample.to(dtype);
        if (IsSuperResolution)
        {
            var upscaled = image!.Repeat((int)b) is ImageCondition r ? r : image;
            input = cat([input, upscaled.Image.to(dtype, sample.device)], 1);
        }
        var labels = IsSuperResolution ? ((ImageCondition)image!.Repeat((int)b)).NoiseLevel?.to(sample.device) : null;
        var output = UNet.Forward(input, timesteps, text.Embeddings.to(dtype, sample.device), labels, text.AttentionMask);
        var prediction = ModelPrediction.FromModelOutput(output.to(sample.dtype), UNet.Config.SampleChannels, OutputKind);
        return prediction.MoveToOuter(scope);
    }

    /// <summary>
    /// Requires [B, C, H, W] with C the UNet's sample channels and H, W positive multiples of the total down-sampling
    /// factor, so a wrong state fails in <c>Validate()</c> instead of inside libtorch.
    /// </summary>
    public void ValidateSample(long[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        int channels = UNet.Config.SampleChannels;
        long factor = 1L << (UNet.Config.BlockOutChannels.Count - 1);
        if (sampleShape.Length != 4 || sampleShape[0] < 1 || sampleShape[1] != channels)
            throw new ArgumentException($"DeepFloyd IF {(IsSuperResolution ? "stage II" : "stage I")} denoises [B, {channels}, H, W] states; got [{string.Join(", ", sampleShape)}].", nameof(sampleShape));
        if (sampleShape[2] < factor || sampleShape[3] < factor || sampleShape[2] % factor != 0 || sampleShape[3] % factor != 0)
            throw new ArgumentException($"The state's height and width must be positive multiples of {factor} (the UNet's down-sampling); got {sampleShape[2]}×{sampleShape[3]}.", nameof(sampleShape));
    }

    /// <summary>Disposes the networks.</summary>
    public void Dispose()
    {
        UNet.Dispose();
        TextEncoder?.Dispose();
    }
}

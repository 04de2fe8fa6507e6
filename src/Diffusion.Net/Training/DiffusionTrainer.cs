using System.Diagnostics;
using System.Globalization;
using Diffusion.Net.IO;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>
/// A training loop for any network and objective: shuffled mini-batches from a seeded generator, Adam with an
/// optional per-epoch exponential learning-rate decay, float32 or bfloat16 compute, progress and cancellation,
/// an optional exponential moving average of the weights, an atomic checkpoint after every epoch (weights, optimizer,
/// average, learning rate, both generators, loss history), and resume that continues bit-identically to an
/// uninterrupted run.
/// </summary>
/// <remarks>
/// Two generators drive all randomness: one for the data order, one for everything the objective draws. A
/// cancelled or crashed run resumes from the last completed epoch, replaying that epoch exactly.
/// </remarks>
public sealed class DiffusionTrainer
{
    /// <summary>The checkpoint file inside <see cref="TrainerOptions.CheckpointDirectory"/>.</summary>
    public const string CheckpointFileName = "checkpoint.safetensors";

    /// <summary>
    /// The float32 weights to sample with (PyTorch state-dict names), written beside the checkpoint: the moving average
    /// when <see cref="TrainerOptions.EmaDecay"/> is set, otherwise the last step's weights.
    /// </summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>The loss history CSV written beside the checkpoint.</summary>
    public const string LossCsvFileName = "loss.csv";

    // Version 2 added the checksum. Version 1 files (no checksum) still resume, with every other check and a warning.
    private const string Format = "diffusion-net-checkpoint/2";
    private const string FormatWithoutChecksum = "diffusion-net-checkpoint/1";
    private readonly nn.Module _model;
    private readonly ITrainingObjective _objective;
    private readonly ILogger _logger;

    /// <summary>Creates the trainer; the options are validated here.</summary>
    public DiffusionTrainer(nn.Module model, ITrainingObjective objective, TrainerOptions? options = null, ILogger<DiffusionTrainer>? logger = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _objective = objective ?? throw new ArgumentNullException(nameof(objective));
        Options = options ?? new TrainerOptions();
        Options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>An ε-prediction trainer (DDPM; class-conditional with <paramref name="conditionDropout"/> when labels are used).</summary>
    public static DiffusionTrainer ForNoisePrediction<TModel>(TModel model, INoiseSchedule schedule, TrainerOptions? options = null,
        bool classConditional = false, double conditionDropout = 0.1, ILogger<DiffusionTrainer>? logger = null)
        where TModel : nn.Module, INoisePredictor
        => new(model, new EpsilonPredictionObjective(model, schedule, classConditional ? conditionDropout : 0, classConditional), options, logger);

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>
    /// Called on the training thread after each epoch's checkpoint, with the 1-based epoch and the network in evaluation
    /// mode holding the weights it would hand out now (the moving average when there is one; in the training precision,
    /// so a bfloat16 run samples in bfloat16); the training weights and mode are restored afterwards. Use it for
    /// per-epoch samples.
    /// </summary>
    public Action<int>? EpochCompleted { get; init; }

    /// <summary>Trains on a worker thread.</summary>
    public Task<TrainingResult> TrainAsync(ITrainingData data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Task.Run(() => Train(data, progress, cancellationToken), cancellationToken);
    }

    /// <summary>Trains on the calling thread.</summary>
    /// <exception cref="OperationCanceledException">Cancelled; the last completed epoch's checkpoint remains for resuming.</exception>
    public TrainingResult Train(ITrainingData data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count < 1) throw new ArgumentException("The training data is empty.", nameof(data));
        var options = Options;
        var device = options.Device ?? CPU;
        bool bf16 = options.Precision == TrainingPrecision.BFloat16;
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        int items = Math.Min(data.Count, options.ItemsPerEpoch ?? data.Count);
        int stepsPerEpoch = options.DropLast ? items / options.BatchSize : (items + options.BatchSize - 1) / options.BatchSize;
        if (stepsPerEpoch == 0) throw new ArgumentException($"{items} items make no complete batch of {options.BatchSize}.", nameof(data));
        string? checkpointPath = options.CheckpointDirectory is null ? null : Path.Combine(options.CheckpointDirectory, CheckpointFileName);

        _model.to(device);
        if (bf16) _model.to(dtype);
        using var optimizer = new AdamOptimizer(_model.named_parameters(), options.LearningRate);
        using var dataGenerator = new Generator((ulong)options.Seed, CPU);
        using var noiseGenerator = new Generator((ulong)options.Seed ^ 0x5DEECE66DUL, CPU);
        using var ema = options.EmaDecay is { } decay ? new ExponentialMovingAverage(optimizer.MasterWeights(), decay) : null;
        var history = new LossHistory();
        int startEpoch = 0;
        double learningRate = options.LearningRate;
        if (checkpointPath is not null && options.Resume && File.Exists(checkpointPath))
        {
            (startEpoch, learningRate) = LoadCheckpoint(checkpointPath, stepsPerEpoch, optimizer, ema, dataGenerator, noiseGenerator, history);
            _logger.LogInformation("Resuming after epoch {Epoch} from {Path}", startEpoch, checkpointPath);
        }
        optimizer.LearningRate = learningRate;

        var clock = Stopwatch.StartNew();
        long imagesThisRun = 0;
        try
        {
            _model.train();
            for (int epoch = startEpoch; epoch < options.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var order = randperm(data.Count, generator: dataGenerator);
                double windowLoss = 0;
                int windowSteps = 0;
                long windowImages = 0;
                var windowClock = Stopwatch.StartNew();
                for (int step = 0; step < stepsPerEpoch; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    int start = step * options.BatchSize, count = Math.Min(options.BatchSize, items - start);
                    using var raw = data.GetBatch(order.narrow(0, start, count));
                    using var batch = new TrainingBatch(raw.Images.to(dtype, device), raw.Labels?.to(device));
                    optimizer.ZeroGrad();
                    var loss = _objective.Loss(batch, noiseGenerator);
                    loss.backward();
                    optimizer.Step();
                    ema?.Update(optimizer.StepCount);
                    double value = loss.item<float>();
                    if (!double.IsFinite(value)) throw new InvalidOperationException($"The loss became {value} at epoch {epoch + 1}, step {step + 1}; lower the learning rate.");
                    history.Add(new LossPoint(optimizer.StepCount, epoch + 1, value));
                    windowLoss += value;
                    windowSteps++;
                    windowImages += count;
                    imagesThisRun += count;
                    bool last = step == stepsPerEpoch - 1;
                    if ((step + 1) % options.ProgressEvery == 0 && !last)
                    {
                        progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, step + 1, stepsPerEpoch, optimizer.StepCount, windowLoss / windowSteps,
                            learningRate, windowImages / windowClock.Elapsed.TotalSeconds, clock.Elapsed, false));
                        windowLoss = 0; windowSteps = 0; windowImages = 0;
                        windowClock.Restart();
                    }
                }
                // PyTorch's ExponentialLR.step() after every epoch: lr ← lr · γ.
                learningRate *= options.LearningRateDecayPerEpoch;
                optimizer.LearningRate = learningRate;
                if (checkpointPath is not null) SaveCheckpoint(checkpointPath, epoch + 1, learningRate, optimizer, ema, dataGenerator, noiseGenerator, history);
                double epochMean = history.EpochMean(epoch + 1);
                _logger.LogInformation("Epoch {Epoch}/{Epochs}: mean loss {Loss:0.00000}", epoch + 1, options.Epochs, epochMean);
                progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, stepsPerEpoch, stepsPerEpoch, optimizer.StepCount,
                    windowSteps > 0 ? windowLoss / windowSteps : epochMean, learningRate,
                    windowImages / Math.Max(1e-9, windowClock.Elapsed.TotalSeconds), clock.Elapsed, true));
                if (EpochCompleted is not null)
                {
                    var live = ema is null ? null : Snapshot();
                    ema?.CopyTo(_model);
                    _model.eval();
                    try { EpochCompleted(epoch + 1); }
                    finally
                    {
                        if (live is not null) Restore(live);
                        _model.train();
                    }
                }
            }
        }
        finally
        {
            _model.eval();
            if (bf16) RestoreFloat32(optimizer);
        }
        // A completed run hands out the average; a cancelled one keeps its training weights for inspection.
        ema?.CopyTo(_model);
        if (options.CheckpointDirectory is not null)
        {
            history.SaveCsv(Path.Combine(options.CheckpointDirectory, LossCsvFileName));
            SaveModel(Path.Combine(options.CheckpointDirectory, ModelFileName), null);
        }
        return new TrainingResult(history, options.Epochs, startEpoch, clock.Elapsed, imagesThisRun / Math.Max(1e-9, clock.Elapsed.TotalSeconds));
    }

    private void RestoreFloat32(AdamOptimizer optimizer)
    {
        _model.to(ScalarType.Float32);
        using var noGrad = no_grad();
        var masters = optimizer.MasterWeights();
        foreach (var (name, p) in _model.named_parameters())
            if (masters.TryGetValue(name, out var m)) p.copy_(m);
    }

    /// <summary>A copy of the training weights, to put back after the epoch callback has used the average.</summary>
    private Dictionary<string, Tensor> Snapshot()
    {
        using var noGrad = no_grad();
        return _model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
    }

    private void Restore(Dictionary<string, Tensor> live)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in _model.named_parameters())
            if (live.TryGetValue(name, out var value)) p.copy_(value);
        foreach (var value in live.Values) value.Dispose();
    }

    /// <summary>Writes the state dict in float32, with <paramref name="weights"/> (masters or average) in place of the parameters they name.</summary>
    private void SaveModel(string path, IReadOnlyDictionary<string, Tensor>? weights)
    {
        using var scope = NewDisposeScope();
        var tensors = _model.state_dict().ToDictionary(kv => kv.Key,
            kv => weights is not null && weights.TryGetValue(kv.Key, out var w) ? w : kv.Value.is_floating_point() ? kv.Value.to(ScalarType.Float32) : kv.Value);
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["objective"] = _objective.Name };
        if (_model is INoisePredictor predictor) metadata[PredictionTypeKey] = PredictionTypeName(predictor.OutputKind);
        SafetensorsWriter.Save(path, tensors, metadata);
    }

    /// <summary>
    /// The metadata key of <see cref="ModelFileName"/> that records what the trained network predicts, with diffusers'
    /// <c>prediction_type</c> names (<c>epsilon</c>, <c>sample</c>, <c>v_prediction</c>, <c>flow_prediction</c>), so a
    /// loader can refuse to read a flow model as a noise predictor or the reverse.
    /// </summary>
    public const string PredictionTypeKey = "prediction_type";

    /// <summary>diffusers' <c>prediction_type</c> name of <paramref name="kind"/>.</summary>
    public static string PredictionTypeName(PredictionKind kind) => kind switch
    {
        PredictionKind.Epsilon => "epsilon",
        PredictionKind.Sample => "sample",
        PredictionKind.Velocity => "v_prediction",
        PredictionKind.FlowVelocity => "flow_prediction",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown prediction kind."),
    };

    private void SaveCheckpoint(string path, int epochsCompleted, double learningRate, AdamOptimizer optimizer, ExponentialMovingAverage? ema,
        Generator dataGenerator, Generator noiseGenerator, LossHistory history)
    {
        using var scope = NewDisposeScope();
        var masters = optimizer.MasterWeights();
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, t) in _model.state_dict())
            tensors[$"model.{name}"] = masters.TryGetValue(name, out var m) ? m : t;
        foreach (var (name, t) in optimizer.StateTensors()) tensors[$"optimizer.{name}"] = t;
        if (ema is not null) foreach (var (name, t) in ema.StateTensors()) tensors[name] = t;
        tensors["rng.data"] = dataGenerator.get_state();
        tensors["rng.noise"] = noiseGenerator.get_state();
        tensors["history.step"] = tensor(history.Points.Select(p => p.Step).ToArray());
        tensors["history.epoch"] = tensor(history.Points.Select(p => (long)p.Epoch).ToArray());
        tensors["history.loss"] = tensor(history.Points.Select(p => p.Loss).ToArray());
        var o = Options;
        var metadata = new Dictionary<string, string>
        {
            ["checksum"] = Checksum(tensors),
            ["format"] = Format,
            ["epochs_completed"] = epochsCompleted.ToString(CultureInfo.InvariantCulture),
            ["learning_rate"] = learningRate.ToString("R", CultureInfo.InvariantCulture),
            ["adam_step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            ["objective"] = _objective.Name,
            ["fingerprint"] = Fingerprint(o),
        };
        if (_model is IComputeSettings compute) metadata["compute"] = compute.ComputeSettings;
        SafetensorsWriter.Save(path, tensors, metadata);
        history.SaveCsv(Path.Combine(Path.GetDirectoryName(path)!, LossCsvFileName));
        SaveModel(Path.Combine(Path.GetDirectoryName(path)!, ModelFileName), ema?.Weights ?? masters);
    }

    /// <summary>
    /// SHA-256 of the data section the writer will produce: every tensor's bytes in the writer's (ordinal name) order.
    /// It catches flipped bytes, which would otherwise resume silently into another run.
    /// </summary>
    private static string Checksum(Dictionary<string, Tensor> tensors)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (_, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            using var cpu = t.detach().cpu().contiguous();
            if (cpu.numel() > 0) sha.AppendData(cpu.bytes);
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>
    /// Validates the whole checkpoint (checksum, metadata, generator states, history, every tensor's name and shape)
    /// before anything is copied into the network, the optimizer or the generators, so a bad file never reaches
    /// libtorch and never half-loads.
    /// </summary>
    private (int Epoch, double LearningRate) LoadCheckpoint(string path, int stepsPerEpoch, AdamOptimizer optimizer, ExponentialMovingAverage? ema,
        Generator dataGenerator, Generator noiseGenerator, LossHistory history)
    {
        using var file = SafetensorsFile.Open(path);
        var meta = file.Metadata;
        var format = meta.GetValueOrDefault("format");
        if (format is not (Format or FormatWithoutChecksum)) throw new CheckpointFormatException(path, "format", "it is not a Diffusion.Net training checkpoint");
        if (format == Format)
        {
            if (!meta.TryGetValue("checksum", out var checksum)) throw new CheckpointFormatException(path, "checksum", "is missing");
            if (!string.Equals(Convert.ToHexString(file.HashData()).ToLowerInvariant(), checksum, StringComparison.Ordinal))
                throw new CheckpointFormatException(path, "checksum", "the tensor data does not match its checksum (the file is damaged)");
        }
        else
        {
            _logger.LogWarning("The checkpoint {Path} predates checksums: its data cannot be verified, only its structure.", path);
        }
        var fingerprint = Fingerprint(Options);
        if (!meta.TryGetValue("fingerprint", out var saved)) throw new CheckpointFormatException(path, "fingerprint", "is missing, so the training options cannot be checked");
        if (saved != fingerprint)
            throw new InvalidOperationException(
                $"The checkpoint '{path}' was made with other training options ({saved}) than this run ({fingerprint}); resuming would not reproduce the run. Use another folder or set Resume = false.");

        int epochs = (int)MetadataInteger(path, meta, "epochs_completed", 1, int.MaxValue);
        long adamStep = MetadataInteger(path, meta, "adam_step", 0, long.MaxValue);
        if (!meta.TryGetValue("learning_rate", out var lrText)
            || !double.TryParse(lrText, NumberStyles.Float, CultureInfo.InvariantCulture, out var learningRate) || !double.IsFinite(learningRate) || learningRate <= 0)
            throw new CheckpointFormatException(path, "learning_rate", "is missing or not a positive finite number");
        // The rate after e epochs is fully determined by the options: recompute it exactly as training does.
        double expectedRate = Options.LearningRate;
        for (int e = 0; e < epochs; e++) expectedRate *= Options.LearningRateDecayPerEpoch;
        if (learningRate != expectedRate) throw new CheckpointFormatException(path, "learning_rate", $"does not follow from the options after {epochs} epochs");
        if (adamStep != (long)epochs * stepsPerEpoch)
            throw new CheckpointFormatException(path, "adam_step", $"is not {epochs} epochs × {stepsPerEpoch} steps");

        using var probe = new Generator(0, CPU);
        using var probeState = probe.get_state();
        foreach (var name in new[] { "rng.data", "rng.noise" })
        {
            RequireTensor(path, file, name, probeState.dtype, probeState.shape);
            using var state = file.Read(name);
            CheckGeneratorState(path, name, state.bytes);
        }
        long points = adamStep;
        RequireTensor(path, file, "history.step", ScalarType.Int64, [points]);
        RequireTensor(path, file, "history.epoch", ScalarType.Int64, [points]);
        RequireTensor(path, file, "history.loss", ScalarType.Float64, [points]);
        long[] steps, epochOf;
        double[] losses;
        using (var t = file.Read("history.step")) steps = t.data<long>().ToArray();
        using (var t = file.Read("history.epoch")) epochOf = t.data<long>().ToArray();
        using (var t = file.Read("history.loss")) losses = t.data<double>().ToArray();
        for (int i = 0; i < steps.Length; i++)
        {
            if (steps[i] != i + 1 || epochOf[i] != i / stepsPerEpoch + 1 || !double.IsFinite(losses[i]))
                throw new CheckpointFormatException(path, "history", $"point {i} is not step {i + 1} of epoch {i / stepsPerEpoch + 1} with a finite loss");
        }

        var model = _model.state_dict();
        var misshaped = new List<string>();
        var missing = new List<string>();
        foreach (var (name, t) in model)
        {
            if (!file.Tensors.TryGetValue($"model.{name}", out var info)) missing.Add($"model.{name}");
            else if (!info.Shape.SequenceEqual(t.shape)) misshaped.Add($"model.{name}: expected [{string.Join(", ", t.shape)}] but found {info.ShapeText}");
        }
        if (missing.Count > 0 || misshaped.Count > 0) throw new WeightsMismatchException(path, missing, [], misshaped);

        // Compute settings (a memory layout) change only the rounding: the run may go on, but the user should know it will
        // not match an uninterrupted run bit for bit.
        var computeNow = (_model as IComputeSettings)?.ComputeSettings;
        var computeSaved = meta.GetValueOrDefault("compute");
        if (computeNow != computeSaved)
            _logger.LogWarning(
                "The checkpoint {Path} was trained with compute settings '{Saved}' and this run uses '{Current}': training continues correctly, but not bit-identically to an uninterrupted run.",
                path, computeSaved ?? "(not recorded)", computeNow ?? "(none)");
        using var scope = NewDisposeScope();
        var stateTensors = new Dictionary<string, Tensor>();
        foreach (var name in file.Tensors.Keys.Where(n => n.StartsWith("optimizer.", StringComparison.Ordinal)))
            stateTensors[name["optimizer.".Length..]] = file.Read(name);
        using (no_grad())
        {
            foreach (var (name, t) in model) file.ReadInto($"model.{name}", t);
        }
        // Masters (bfloat16 runs) come from the float32 weights saved as model.* when no separate master is stored.
        foreach (var (name, _) in _model.named_parameters())
            if (!stateTensors.ContainsKey($"master.{name}") && file.Tensors.ContainsKey($"model.{name}")) stateTensors[$"master.{name}"] = file.Read($"model.{name}", ScalarType.Float32);
        optimizer.LoadState(stateTensors, adamStep);
        ema?.Load(name => file.Tensors.ContainsKey(name) ? file.Read(name, ScalarType.Float32) : null);
        dataGenerator.set_state(file.Read("rng.data"));
        noiseGenerator.set_state(file.Read("rng.noise"));
        for (int i = 0; i < steps.Length; i++) history.Add(new LossPoint(steps[i], (int)epochOf[i], losses[i]));
        return (epochs, learningRate);
    }

    /// <summary>
    /// libtorch's CPU generator state is its <c>CPUGeneratorImplState</c> struct: the legacy THGeneratorState
    /// (seed u64 @0, left i32 @8, seeded i32 @12, next u64 @16, 624 × u64 state @24, normal cache) then a float
    /// sample and its flag, 5056 bytes in all. <c>set_state</c> rejects a Mersenne-Twister state that is not seeded
    /// or whose position is out of range with a C++ exception that aborts the process through TorchSharp, so the
    /// same conditions are checked here first.
    /// </summary>
    private static void CheckGeneratorState(string path, string name, ReadOnlySpan<byte> state)
    {
        int left = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(state[8..]);
        int seeded = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(state[12..]);
        ulong next = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(state[16..]);
        if (seeded != 1 || left < 1 || left > 624 || next > 624)
            throw new CheckpointFormatException(path, name, "is not a valid Mersenne-Twister generator state");
    }

    private static long MetadataInteger(string path, IReadOnlyDictionary<string, string> meta, string key, long min, long max)
    {
        if (!meta.TryGetValue(key, out var text)) throw new CheckpointFormatException(path, key, "is missing");
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new CheckpointFormatException(path, key, $"is not an integer in [{min}, {max}]");
        return value;
    }

    /// <summary>A wrong dtype or size here would abort the process inside libtorch (Generator.set_state), so it is checked first.</summary>
    private static void RequireTensor(string path, SafetensorsFile file, string name, ScalarType dtype, long[] shape)
    {
        if (!file.Tensors.TryGetValue(name, out var info)) throw new CheckpointFormatException(path, name, "is missing");
        if (info.DType != dtype || !info.Shape.SequenceEqual(shape))
            throw new CheckpointFormatException(path, name, $"is {info.DType} {info.ShapeText}; {dtype} [{string.Join(", ", shape)}] expected");
    }

    private string Fingerprint(TrainerOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"batch={o.BatchSize};lr={o.LearningRate:R};decay={o.LearningRateDecayPerEpoch:R};seed={o.Seed};precision={o.Precision};items={o.ItemsPerEpoch};droplast={o.DropLast};objective={_objective.Name}{(o.EmaDecay is { } d ? $";ema={d:R}" : "")}");
}

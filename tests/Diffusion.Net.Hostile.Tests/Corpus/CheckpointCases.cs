using System.Globalization;
using Diffusion.Net.IO;
using Diffusion.Net.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>
/// Resuming training from hostile checkpoints (issue 20 #1 and #9): a tiny network trains one epoch, its checkpoint
/// is damaged, and a second run resumes from it. Metadata and tensor edits are re-checksummed, so they reach the
/// validation behind the checksum; raw byte mutations are not, so they test the checksum.
/// </summary>
internal static class CheckpointCases
{
    private const string Target = "DiffusionTrainer resume";

    public static IEnumerable<HostileCase> Create()
    {
        for (int i = 0; i < 40; i++)
        {
            int n = i;
            yield return new($"checkpoint-bytes-{n:D2}", Target, Expectation.AcceptOrReject, dir =>
            {
                var path = TrainOnce(dir);
                File.WriteAllBytes(path, Mutator.Mutate(File.ReadAllBytes(path), n));
                return Resume(dir);
            });
        }
        yield return Edit("D01-rng-u8-16", t => t["rng.data"] = zeros(16, ScalarType.Byte), "rng.data");
        yield return Edit("D01-rng-f32", t => t["rng.data"] = zeros(5056 / 4, ScalarType.Float32), "rng.data");
        yield return Edit("D01-rng-empty", t => t["rng.data"] = zeros(0, ScalarType.Byte), "rng.data");
        yield return Edit("D01-rng-noise-i64", t => t["rng.noise"] = zeros(632, ScalarType.Int64), "rng.noise");
        yield return Edit("D01-rng-missing", t => t.Remove("rng.data"), "rng.data");
        yield return new("D01-rng-random-bytes", Target, Expectation.AcceptOrReject, dir =>
        {
            var path = TrainOnce(dir);
            Rewrite(path, t => t["rng.data"] = randint(0, 256, [5056], dtype: ScalarType.Byte, generator: new Generator(7)), _ => { });
            return Resume(dir);
        });
        foreach (var (key, value, fragment) in new (string, string?, string)[]
                 {
                     ("epochs_completed", null, "epochs_completed"), ("epochs_completed", "abc", "epochs_completed"), ("epochs_completed", "99999999999999999999", "epochs_completed"),
                     ("epochs_completed", "-1", "epochs_completed"), ("epochs_completed", "99", "adam_step"), ("adam_step", null, "adam_step"), ("adam_step", "-100", "adam_step"),
                     ("adam_step", "1e3", "adam_step"), ("learning_rate", null, "learning_rate"), ("learning_rate", "NaN", "learning_rate"), ("learning_rate", "0.5", "learning_rate"),
                     ("learning_rate", "-1", "learning_rate"), ("fingerprint", null, "fingerprint"), ("checksum", null, "checksum"), ("format", "diffusion-net-checkpoint/0", "format"),
                 })
        {
            yield return new($"D09-meta-{key}-{value ?? "missing"}", Target, Expectation.Reject, dir =>
            {
                var path = TrainOnce(dir);
                Rewrite(path, _ => { }, m => { if (value is null) m.Remove(key); else m[key] = value; }, rechecksum: key != "checksum");
                return Resume(dir);
            }, nameof(CheckpointFormatException), [fragment]);
        }
        yield return Edit("D09-history-unequal-lengths", t => t["history.loss"] = zeros(1, ScalarType.Float64), "history.loss");
        yield return Edit("D09-history-wrong-steps", t => t["history.step"] = full(2, 5L, ScalarType.Int64), "history");
        yield return Edit("D09-history-nan-loss", t => t["history.loss"] = full(2, double.NaN, ScalarType.Float64), "history");
        yield return Edit("D09-weights-wrong-shape", t => t["model.w.weight"] = zeros(3, 3), "model.w.weight", nameof(WeightsMismatchException));
        yield return Edit("D09-optimizer-state-missing", t => t.Remove("optimizer.exp_avg.w.weight"), "exp_avg", nameof(WeightsMismatchException));
        yield return new("D09-flipped-data-byte", Target, Expectation.Reject, dir =>
        {
            var path = TrainOnce(dir);
            var bytes = File.ReadAllBytes(path);
            bytes[^3] ^= 0x10;
            File.WriteAllBytes(path, bytes);
            return Resume(dir);
        }, nameof(CheckpointFormatException), ["checksum"]);
        yield return new("checkpoint-resume-intact", Target, Expectation.Accept, dir => { TrainOnce(dir); return Resume(dir); });
        yield return new("checkpoint-resume-version-1", Target, Expectation.Accept, dir =>
        {
            // Checkpoints written before checksums still resume (their structure is still checked in full).
            var path = TrainOnce(dir);
            Rewrite(path, _ => { }, m => { m["format"] = "diffusion-net-checkpoint/1"; m.Remove("checksum"); }, rechecksum: false);
            return Resume(dir);
        });
        yield return new("D09-version-1-garbled-lr", Target, Expectation.Reject, dir =>
        {
            var path = TrainOnce(dir);
            Rewrite(path, _ => { }, m => { m["format"] = "diffusion-net-checkpoint/1"; m.Remove("checksum"); m["learning_rate"] = "NaN"; }, rechecksum: false);
            return Resume(dir);
        }, nameof(CheckpointFormatException), ["learning_rate"]);
    }

    private static HostileCase Edit(string id, Action<Dictionary<string, Tensor>> edit, string fragment, string type = nameof(CheckpointFormatException))
        => new(id, Target, Expectation.Reject, dir =>
        {
            var path = TrainOnce(dir);
            Rewrite(path, edit, _ => { });
            return Resume(dir);
        }, type, [fragment]);

    private static string TrainOnce(string dir)
    {
        using var model = new Tiny();
        new DiffusionTrainer(model, new Objective(model), Options(dir, 1)).Train(new Data());
        return Path.Combine(dir, DiffusionTrainer.CheckpointFileName);
    }

    private static object? Resume(string dir)
    {
        using var model = new Tiny();
        var result = new DiffusionTrainer(model, new Objective(model), Options(dir, 2)).Train(new Data());
        return result.History.Points.All(p => double.IsFinite(p.Loss)) ? null : throw new NotFiniteNumberException("a non-finite loss was resumed");
    }

    private static TrainerOptions Options(string dir, int epochs) => new() { Epochs = epochs, BatchSize = 4, LearningRate = 1e-2, Seed = 3, CheckpointDirectory = dir, ProgressEvery = 1000 };

    /// <summary>Rewrites the checkpoint with edited tensors and metadata, and (unless told not to) a checksum that matches the edit.</summary>
    private static void Rewrite(string path, Action<Dictionary<string, Tensor>> editTensors, Action<Dictionary<string, string>> editMetadata, bool rechecksum = true)
    {
        Dictionary<string, Tensor> tensors;
        Dictionary<string, string> metadata;
        using (var file = SafetensorsFile.Open(path))
        {
            tensors = file.ReadAll();
            metadata = file.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        }
        editTensors(tensors);
        if (rechecksum)
        {
            using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            foreach (var (_, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                if (t.numel() > 0) sha.AppendData(t.contiguous().bytes);
            metadata["checksum"] = Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        editMetadata(metadata);
        SafetensorsWriter.Save(path, tensors, metadata);
        foreach (var t in tensors.Values) t.Dispose();
    }

    private sealed class Tiny : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear w = nn.Linear(4, 4);

        public Tiny() : base(nameof(Tiny)) => RegisterComponents();

        public override Tensor forward(Tensor x) => w.forward(x);
    }

    private sealed class Objective(Tiny model) : ITrainingObjective
    {
        public string Name => "tiny-mse";

        public Tensor Loss(TrainingBatch batch, Generator generator)
        {
            var noise = randn(batch.Images.shape, generator: generator);
            return nn.functional.mse_loss(model.forward(batch.Images + noise), batch.Images);
        }
    }

    private sealed class Data : ITrainingData
    {
        private readonly Tensor _x = arange(32, ScalarType.Float32).reshape(8, 4).div(32).DetachFromDisposeScope();

        public int Count => 8;

        public TrainingBatch GetBatch(Tensor indices) => new(_x.index_select(0, indices));
    }

    internal static string Invariant(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

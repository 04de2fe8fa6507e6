using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Diffusion.Net.Extensions.AI.Tests;

/// <summary>Tiny models: a D = 4 class-conditioned MNIST UNet and diffusers-layout IF folders from the DeepFloyd fixtures.</summary>
internal static class TinyModels
{
    public static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    /// <summary>A D = 4 class-conditioned UNet with weights fixed by <paramref name="seed"/> (random, untrained: its class input barely matters).</summary>
    public static ClassConditionalUNet Mnist(long seed = 1, MnistObjective objective = MnistObjective.Ddpm)
    {
        // Test code may seed the global generator; the library never does.
        random.manual_seed(seed);
        var model = new ClassConditionalUNet(1, 4, objective: objective);
        model.eval();
        return model;
    }

    /// <summary>
    /// A D = 4 class-conditioned DDPM UNet trained for 24 steps on <see cref="Bars"/>, where the class decides the
    /// picture: enough for the class (and the prompt) to change what comes out.
    /// </summary>
    public static ClassConditionalUNet TrainedMnist()
    {
        var recipe = MnistRecipes.Quick with
        {
            Hidden = 4,
            Training = new TrainerOptions { Epochs = 3, BatchSize = 64, LearningRate = 1e-2, Seed = 3, ProgressEvery = 1000 },
        };
        var model = (ClassConditionalUNet)MnistTraining.CreateModel(recipe);
        using var data = new Bars(512);
        MnistTraining.CreateTrainer(recipe, model).Train(data);
        model.eval();
        return model;
    }

    /// <summary>Saves <paramref name="model"/> as the trainer does (float32, prediction type recorded) and returns the path.</summary>
    public static string SaveMnist(ClassConditionalUNet model, string folder)
    {
        var path = Path.Combine(folder, "model.safetensors");
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(path, model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32)),
            new Dictionary<string, string> { ["format"] = "pt", [DiffusionTrainer.PredictionTypeKey] = DiffusionTrainer.PredictionTypeName(model.OutputKind) });
        return path;
    }

    /// <summary>A 28 × 28 PNG: a light vertical bar (a "1") on black, or the reverse.</summary>
    public static byte[] DigitPng(bool lightBackground = false, int size = 28)
    {
        using var image = new Image<L8>(size, size, new L8(lightBackground ? (byte)255 : (byte)0));
        for (int y = size / 5; y < size - size / 5; y++)
            for (int x = size / 2 - size / 10; x <= size / 2 + size / 10; x++)
                image[x, y] = new L8(lightBackground ? (byte)0 : (byte)255);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    /// <summary>A PNG mask: white (regenerate) in the lower half, black above.</summary>
    public static byte[] LowerHalfMask(int size = 28)
    {
        using var image = new Image<L8>(size, size, new L8(0));
        for (int y = size / 2; y < size; y++)
            for (int x = 0; x < size; x++)
                image[x, y] = new L8(255);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    /// <summary>Luminance bytes of a PNG.</summary>
    public static (int Width, int Height, byte[] Pixels) Gray(ReadOnlyMemory<byte> png)
    {
        using var image = Image.Load<L8>(png.Span);
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return (image.Width, image.Height, pixels);
    }
}

/// <summary>A diffusers-layout stage I folder assembled from the tiny fixtures in a temporary directory.</summary>
internal sealed class TinyIFFolder : IDisposable
{
    public TinyIFFolder(bool withTextEncoder = false)
    {
        Root = Directory.CreateTempSubdirectory("dn-meai-if").FullName;
        Copy(["unet_stage1_tiny", "config.json"], "unet", "config.json");
        Copy(["unet_stage1_tiny", "diffusion_pytorch_model.safetensors"], "unet", "diffusion_pytorch_model.safetensors");
        Copy(["scheduler", "if_stage1", "scheduler_config.json"], "scheduler", "scheduler_config.json");
        if (withTextEncoder)
        {
            foreach (var f in new[] { "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json" })
                Copy(["t5_encoder_tiny", f], "text_encoder", f);
            foreach (var f in Directory.GetFiles(TinyModels.Fixture("tokenizer_tiny")))
                Copy(["tokenizer_tiny", Path.GetFileName(f)], "tokenizer", Path.GetFileName(f));
        }
        File.WriteAllText(Path.Combine(Root, "model_index.json"), """{"_class_name": "IFPipeline"}""");
    }

    public string Root { get; }

    public void Dispose() => Directory.Delete(Root, true);

    private void Copy(string[] fixture, string folder, string name)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Root, folder)).FullName;
        File.Copy(TinyModels.Fixture(fixture), Path.Combine(dir, name));
    }
}

/// <summary>A temporary folder removed at the end of the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("dn-meai").FullName;

    public void Dispose() => Directory.Delete(Path, true);
}

/// <summary>Synthetic labelled 28 × 28 images: class k is a bright horizontal bar at rows 3 + 2k and 4 + 2k on black.</summary>
internal sealed class Bars : ITrainingData, IDisposable
{
    private readonly Tensor _images;
    private readonly Tensor _labels;

    public Bars(int count)
    {
        var labels = Enumerable.Range(0, count).Select(i => (long)(i % 10)).ToArray();
        var images = zeros(count, 1, 28, 28);
        using (no_grad())
            for (int i = 0; i < count; i++)
            {
                int row = 3 + 2 * (int)labels[i];
                using var bar = images[i, 0, row..(row + 2), 4..24];
                bar.fill_(1f);
            }
        _images = images;
        _labels = tensor(labels, ScalarType.Int64);
    }

    public int Count => (int)_labels.shape[0];

    public TrainingBatch GetBatch(Tensor indices) => new(_images.index_select(0, indices), _labels.index_select(0, indices));

    public void Dispose()
    {
        _images.Dispose();
        _labels.Dispose();
    }
}

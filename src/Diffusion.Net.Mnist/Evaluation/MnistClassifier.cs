using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Diffusion.Net.Mnist.Evaluation;

/// <summary>
/// A small CNN digit classifier used to put numbers on generated digits (class agreement, confidence) and as the
/// feature extractor of the MNIST Fréchet distance: conv 1→32 → ReLU → max-pool, conv 32→64 → ReLU → max-pool,
/// fc 3136→128 → ReLU (the 128-d features), fc 128→10. Inputs are [N, 1, 28, 28] in [0, 1].
/// </summary>
public sealed class MnistClassifier : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <summary>Creates an untrained classifier.</summary>
    public MnistClassifier() : base(nameof(MnistClassifier))
    {
        conv1 = Conv2d(1, 32, 3, padding: 1);
        conv2 = Conv2d(32, 64, 3, padding: 1);
        fc1 = Linear(64 * 7 * 7, 128);
        fc2 = Linear(128, 10);
        RegisterComponents();
    }

    /// <summary>The feature width.</summary>
    public const int FeatureSize = 128;

    /// <summary>The 128-d features (after fc1 and ReLU).</summary>
    public Tensor Features(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4 || x.shape[1] != 1 || x.shape[2] != 28 || x.shape[3] != 28)
            throw new ArgumentException($"The classifier takes [N, 1, 28, 28] images in [0, 1]; got [{string.Join(", ", x.shape)}].", nameof(x));
        var h = functional.max_pool2d(functional.relu(conv1.forward(x)), 2);
        h = functional.max_pool2d(functional.relu(conv2.forward(h)), 2);
        return functional.relu(fc1.forward(h.flatten(1)));
    }

    /// <summary>Logits [N, 10].</summary>
    public override Tensor forward(Tensor x) => fc2.forward(Features(x));
}

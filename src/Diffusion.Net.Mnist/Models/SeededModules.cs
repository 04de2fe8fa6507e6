using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Models;

/// <summary>
/// Builds networks whose initial weights depend only on a seed, leaving torch's global generator as it was.
/// TorchSharp's layers draw their default initialisation from the global generator while they are constructed and
/// take no generator; so construction runs under a lock with the global generator's state saved and restored
/// around it, and every weight and bias is then redrawn from a private generator with PyTorch's default
/// distribution (Conv and Linear: U(−1/√fan_in, 1/√fan_in), kaiming_uniform with a = √5; BatchNorm: weight 1, bias 0).
/// </summary>
/// <remarks>
/// The lock serialises this library's own constructions; code elsewhere in the process that draws from the global
/// generator during the few milliseconds of a construction has those draws rewound. Nothing in this library draws
/// from it.
/// </remarks>
internal static class SeededModules
{
    private static readonly object GlobalGeneratorLock = new();

    /// <summary>Constructs a module with <paramref name="construct"/> and initialises it from <paramref name="seed"/>.</summary>
    public static T Create<T>(Func<T> construct, long seed) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(construct);
        T module = WithoutGlobalDraws(construct);
        try
        {
            Initialize(module, seed);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="construct"/> and restores the global generator's state afterwards.</summary>
    public static T WithoutGlobalDraws<T>(Func<T> construct)
    {
        ArgumentNullException.ThrowIfNull(construct);
        lock (GlobalGeneratorLock)
        {
            using var saved = get_rng_state();
            try
            {
                return construct();
            }
            finally
            {
                set_rng_state(saved);
            }
        }
    }

    /// <summary>Redraws every convolution and linear layer's parameters, in module order, from a generator seeded with <paramref name="seed"/>.</summary>
    public static void Initialize(nn.Module module, long seed)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var generator = new Generator(unchecked((ulong)seed), CPU);
        using var noGrad = no_grad();
        foreach (var layer in module.modules())
        {
            var (weight, bias) = layer switch
            {
                Conv2d c => (c.weight, c.bias),
                ConvTranspose2d t => (t.weight, t.bias),
                Linear l => (l.weight, l.bias),
                _ => (null, null),
            };
            if (weight is null) continue;
            // PyTorch's fan_in: dimension 1 times the receptive field (for a transposed convolution, its out channels).
            long fanIn = weight.shape[1] * weight.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
            double bound = 1.0 / Math.Sqrt(fanIn);
            // Tensor.uniform_, not nn.init.uniform_: TorchSharp 0.107's init function ignores its generator argument.
            weight.uniform_(-bound, bound, generator);
            bias?.uniform_(-bound, bound, generator);
        }
    }
}

using Diffusion.Net.IO;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) with PyTorch's update rule, on float32 master weights. When the network computes in
/// bfloat16, the master weights and moments stay in float32 and are copied into the network after each step, so
/// small updates are not lost to bfloat16 rounding. The whole state (moments, step count) is explicit tensors that a
/// checkpoint saves by name.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    private readonly (string Name, Parameter Parameter, Tensor Master, Tensor ExpAvg, Tensor ExpAvgSq)[] _state;
    private readonly bool _separateMasters;

    /// <summary>Creates the optimizer over <paramref name="parameters"/> (names as in the state dict).</summary>
    public AdamOptimizer(IEnumerable<(string Name, Parameter Parameter)> parameters, double learningRate = 1e-3,
        double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "β1 must lie in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "β2 must lie in [0, 1).");
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be positive.");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        var list = parameters.Where(p => p.Parameter.requires_grad).ToList();
        if (list.Count == 0) throw new ArgumentException("There are no trainable parameters.", nameof(parameters));
        _separateMasters = list.Any(p => p.Parameter.dtype != ScalarType.Float32);
        using var noGrad = no_grad();
        _state = list.Select(p =>
        {
            var master = _separateMasters ? p.Parameter.detach().to(ScalarType.Float32, copy: true) : p.Parameter;
            return (p.Name, p.Parameter, master, zeros_like(master, ScalarType.Float32), zeros_like(master, ScalarType.Float32));
        }).ToArray();
    }

    /// <summary>The current learning rate (a scheduler may change it between steps).</summary>
    public double LearningRate { get; set; }

    /// <summary>β1.</summary>
    public double Beta1 { get; }

    /// <summary>β2.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Clears every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var s in _state)
        {
            var g = s.Parameter.grad;
            if (g is null) continue;
            g.zero_();
        }
    }

    /// <summary>
    /// One Adam step (PyTorch's rule): m ← lerp(m, g, 1 − β1); v ← β2 v + (1 − β2) g²; θ ← θ − lr/(1 − β1^k) · m/(√v/√(1 − β2^k) + ε).
    /// </summary>
    public void Step()
    {
        StepCount++;
        double bias1 = 1 - Math.Pow(Beta1, StepCount);
        double bias2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        double stepSize = LearningRate / bias1;
        using var noGrad = no_grad();
        foreach (var (_, parameter, master, m, v) in _state)
        {
            using var scope = NewDisposeScope();
            var grad = parameter.grad;
            if (grad is null) continue;
            var g = grad.dtype == ScalarType.Float32 ? grad : grad.to(ScalarType.Float32);
            m.lerp_(g, 1 - Beta1);
            v.mul_(Beta2).addcmul_(g, g, 1 - Beta2);
            var denominator = (v.sqrt() / bias2Sqrt).add_(Epsilon);
            master.addcdiv_(m, denominator, -stepSize);
            if (_separateMasters) parameter.copy_(master);
        }
    }

    /// <summary>The state tensors by name: <c>master.N</c> (float32 weights, when separate), <c>exp_avg.N</c>, <c>exp_avg_sq.N</c>.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors()
    {
        foreach (var (name, _, master, m, v) in _state)
        {
            if (_separateMasters) yield return new($"master.{name}", master);
            yield return new($"exp_avg.{name}", m);
            yield return new($"exp_avg_sq.{name}", v);
        }
    }

    /// <summary>Restores moments, masters and the step count (written into the network as well).</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, long stepCount)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var noGrad = no_grad();
        foreach (var (name, parameter, master, m, v) in _state)
        {
            if (_separateMasters) Copy(tensors, $"master.{name}", master);
            Copy(tensors, $"exp_avg.{name}", m);
            Copy(tensors, $"exp_avg_sq.{name}", v);
            if (_separateMasters) parameter.copy_(master);
        }
        StepCount = stepCount;
    }

    /// <summary>The float32 master weights by parameter name (the parameters themselves when training in float32).</summary>
    public IReadOnlyDictionary<string, Tensor> MasterWeights() => _state.ToDictionary(s => s.Name, s => s.Master);

    private static void Copy(IReadOnlyDictionary<string, Tensor> tensors, string key, Tensor destination)
    {
        if (!tensors.TryGetValue(key, out var source)) throw new WeightsMismatchException("optimizer state", [key], [], []);
        if (!source.shape.SequenceEqual(destination.shape))
            throw new WeightsMismatchException("optimizer state", [], [], [$"{key}: expected [{string.Join(", ", destination.shape)}] but found [{string.Join(", ", source.shape)}]"]);
        destination.copy_(source);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, _, master, m, v) in _state)
        {
            if (_separateMasters) master.Dispose();
            m.Dispose();
            v.Dispose();
        }
    }
}

using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>Class labels, one per row; −1 is the null class (dropped condition, the CFG unconditional branch).</summary>
public sealed class ClassCondition : Condition
{
    private readonly long[] _labels;

    /// <summary>Creates the condition; labels must be ≥ −1.</summary>
    public ClassCondition(IReadOnlyList<long> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0) throw new ArgumentException("At least one label is needed.", nameof(labels));
        for (int i = 0; i < labels.Count; i++)
            if (labels[i] < -1) throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label {i} is {labels[i]}; labels are ≥ 0, or −1 for the null class.");
        _labels = labels.ToArray();
    }

    /// <summary>The labels (−1 = null class).</summary>
    public IReadOnlyList<long> Labels => _labels;

    /// <inheritdoc />
    public override int? BatchSize => _labels.Length;

    /// <summary>The labels as an int64 tensor [B].</summary>
    public Tensor ToTensor(Device? device = null) => tensor(_labels, ScalarType.Int64, device);

    /// <summary>Throws unless every label is below <paramref name="classCount"/>.</summary>
    public void Validate(int classCount)
    {
        foreach (var l in _labels)
            if (l >= classCount) throw new ArgumentOutOfRangeException(nameof(classCount), $"Label {l} is outside the model's {classCount} classes (0 … {classCount - 1}, or −1 for none).");
    }

    /// <inheritdoc />
    public override Condition Repeat(int batch)
    {
        CheckRepeat(_labels.Length, batch, "class");
        return _labels.Length == batch ? this : new ClassCondition(Enumerable.Repeat(_labels[0], batch).ToArray());
    }

    /// <inheritdoc />
    public override Condition Unconditional() => new ClassCondition(Enumerable.Repeat(-1L, _labels.Length).ToArray());

    /// <inheritdoc />
    public override string ToString() => "classes[" + string.Join(", ", _labels) + "]";
}

namespace Diffusion.Net.Prediction;

/// <summary>Several conditions of different kinds applied together (at most one of each kind).</summary>
public sealed class CompositeCondition : Condition
{
    private readonly Condition[] _parts;

    /// <summary>Combines the parts; their batch sizes must agree (batch 1 broadcasts).</summary>
    public CompositeCondition(IReadOnlyList<Condition> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("A composite condition needs at least one part.", nameof(parts));
        if (parts.Any(p => p is null or CompositeCondition)) throw new ArgumentException("Parts must be non-null and not composite themselves.", nameof(parts));
        if (parts.Select(p => p.GetType()).Distinct().Count() != parts.Count) throw new ArgumentException("A composite condition holds at most one part of each kind.", nameof(parts));
        var sizes = parts.Select(p => p.BatchSize).Where(b => b is not null && b != 1).Distinct().ToList();
        if (sizes.Count > 1) throw new ArgumentException($"The parts have different batch sizes: {string.Join(", ", sizes)}.", nameof(parts));
        _parts = parts.ToArray();
    }

    /// <summary>The parts, in the order given.</summary>
    public IReadOnlyList<Condition> Parts => _parts;

    /// <summary>The part of type <typeparamref name="T"/>, or null.</summary>
    public T? Get<T>() where T : Condition => _parts.OfType<T>().FirstOrDefault();

    /// <inheritdoc />
    public override int? BatchSize
        => _parts.Select(p => p.BatchSize).Where(b => b is not null).DefaultIfEmpty(null).Max();

    /// <inheritdoc />
    public override Condition Repeat(int batch) => new CompositeCondition(_parts.Select(p => p.Repeat(batch)).ToArray());

    /// <inheritdoc />
    public override Condition Unconditional() => new CompositeCondition(_parts.Select(p => p.Unconditional()).ToArray());

    internal static CompositeCondition ConcatComposite(IReadOnlyList<CompositeCondition> parts)
    {
        var kinds = parts[0]._parts.Select(p => p.GetType()).ToArray();
        foreach (var p in parts)
            if (!p._parts.Select(x => x.GetType()).SequenceEqual(kinds))
                throw new ArgumentException("Composite conditions with different parts cannot be batched together.");
        var merged = new Condition[kinds.Length];
        for (int i = 0; i < kinds.Length; i++) merged[i] = Concat(parts.Select(p => p._parts[i]).ToArray());
        return new CompositeCondition(merged);
    }

    /// <inheritdoc />
    public override string ToString() => "{" + string.Join(" + ", _parts.Select(p => p.ToString())) + "}";
}

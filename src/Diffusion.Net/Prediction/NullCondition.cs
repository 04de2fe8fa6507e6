namespace Diffusion.Net.Prediction;

/// <summary>No conditioning. For class-conditional models it means the null class of every row.</summary>
public sealed class NullCondition : Condition
{
    internal NullCondition(int? batch) => BatchSize = batch;

    /// <inheritdoc />
    public override int? BatchSize { get; }

    /// <inheritdoc />
    public override Condition Repeat(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return BatchSize == batch ? this : new NullCondition(batch);
    }

    /// <inheritdoc />
    public override Condition Unconditional() => this;

    /// <inheritdoc />
    public override string ToString() => "none";
}

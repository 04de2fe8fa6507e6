using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>A shape-preserving tensor transform (a Gaussian blur, a clamp, a view) as a pipeline link.</summary>
public sealed class TransformStep : IPipelineStep
{
    private readonly Func<Tensor, Tensor> _transform;

    /// <summary>Creates the step; <paramref name="transform"/> must return a tensor of the same shape.</summary>
    public TransformStep(string description, Func<Tensor, Tensor> transform)
    {
        ArgumentException.ThrowIfNullOrEmpty(description);
        Description = description;
        _transform = transform ?? throw new ArgumentNullException(nameof(transform));
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public int DenoisingSteps => 0;

    /// <inheritdoc />
    public long[] ValidateShape(long[]? input, PipelineSettings settings)
        => input ?? throw new InvalidOperationException($"'{Description}' needs an image: start the pipeline with a source.");

    /// <inheritdoc />
    public Tensor Execute(Tensor? state, PipelineRunContext context)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var result = _transform(state);
        if (!result.shape.SequenceEqual(state.shape))
            throw new InvalidOperationException($"'{Description}' changed the shape from [{string.Join(", ", state.shape)}] to [{string.Join(", ", result.shape)}].");
        return scope.MoveToOuter(ReferenceEquals(result, state) ? state.clone() : result);
    }
}

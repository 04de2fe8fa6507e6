using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>A shape-preserving tensor transform (a Gaussian blur, a clamp, a view) as a pipeline link.</summary>
internal sealed class TransformLink : IPipelineLink
{
    private readonly Func<Tensor, Tensor> _transform;

    public TransformLink(string description, Func<Tensor, Tensor> transform)
    {
        ArgumentException.ThrowIfNullOrEmpty(description);
        Description = description;
        _transform = transform ?? throw new ArgumentNullException(nameof(transform));
    }

    public string Description { get; }

    public int SamplerSteps(PipelineSettings settings) => 0;

    public long[] ValidateShape(long[]? input, PipelineSettings settings)
        => input ?? throw new InvalidOperationException($"'{Description}' needs an image: start the pipeline with a source.");

    public Tensor Execute(Tensor? state, PipelineRunContext context)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var result = _transform(state)
                     ?? throw new InvalidOperationException($"The transform '{Description}' returned null instead of a tensor.");
        if (!result.shape.SequenceEqual(state.shape))
            throw new InvalidOperationException($"'{Description}' changed the shape from [{Guard.Shape(state.shape)}] to [{Guard.Shape(result.shape)}].");
        return scope.MoveToOuter(ReferenceEquals(result, state) ? state.clone() : result);
    }
}

namespace Diffusion.Net.Samples.PartA;

/// <summary>The checked command line of the Part A program (<see cref="PartASettings"/> and its subclasses build it).</summary>
internal sealed record PartAOptions
{
    public string Command { get; init; } = "mnist";
    public string Output { get; init; } = Path.Combine("out", "part-a");
    public long Seed { get; init; } = 180;
    public string? Model { get; init; }
    public string? Stage1 { get; init; }
    public string? Stage2 { get; init; }
    public string? Embeddings { get; init; }
    public int Samples { get; init; } = 100;
    public bool Bf16 { get; init; }
    public bool Flow { get; init; }
}

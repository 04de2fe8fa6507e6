namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>
/// Every case, in a fixed order with stable ids: mutations of valid seeds for each public loader, plus the
/// hand-made inputs of issue 20 (ids D01 … D15, one or more per defect). Built lazily: listing the ids costs
/// nothing; a case's bytes are made only when the case runs.
/// </summary>
public static class HostileCorpus
{
    private static readonly Lazy<IReadOnlyList<HostileCase>> Cases = new(() =>
    [
        .. SafetensorsCases.Create(),
        .. ImageCases.Create(),
        .. PickleCases.Create(),
        .. ConfigCases.Create(),
        .. TokenizerCases.Create(),
        .. IdxCases.Create(),
        .. CheckpointCases.Create(),
        .. PipelineCases.Create(),
    ]);

    /// <summary>All cases.</summary>
    public static IReadOnlyList<HostileCase> All => Cases.Value;
}

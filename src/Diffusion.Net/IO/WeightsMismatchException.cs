namespace Diffusion.Net.IO;

/// <summary>
/// Weights do not fit the network they are loaded into: tensors missing from the file, tensors the network does
/// not have, or tensors of the wrong shape. Every offending name is listed.
/// </summary>
public sealed class WeightsMismatchException : InvalidInputException
{
    /// <summary>Creates the exception from the three lists of problems.</summary>
    public WeightsMismatchException(
        string source,
        IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected,
        IReadOnlyList<string> misshaped)
        : base(BuildMessage(source, missing, unexpected, misshaped), source, null, "the weights do not match the network", null)
    {
        WeightsSource = source;
        Missing = missing;
        Unexpected = unexpected;
        Misshaped = misshaped;
    }

    /// <summary>The file or folder the weights came from.</summary>
    public string WeightsSource { get; }

    /// <summary>Names the network expects that the weights do not contain.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Names in the weights that the network does not have.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>"name: expected [..] but found [..]" for every tensor whose shape differs.</summary>
    public IReadOnlyList<string> Misshaped { get; }

    private static string BuildMessage(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misshaped)
    {
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"{missing.Count} missing ({Preview(missing)})");
        if (unexpected.Count > 0) parts.Add($"{unexpected.Count} unexpected ({Preview(unexpected)})");
        if (misshaped.Count > 0) parts.Add($"{misshaped.Count} with the wrong shape ({Preview(misshaped)})");
        return $"Weights from '{source}' do not match the network: {string.Join("; ", parts)}.";
    }

    private static string Preview(IReadOnlyList<string> names)
        => names.Count <= 8 ? string.Join(", ", names) : string.Join(", ", names.Take(8)) + $", … {names.Count - 8} more";
}

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>What a case must end in.</summary>
public enum Expectation
{
    /// <summary>Loaded, or refused with a typed exception (mutations: a mutant may still be valid).</summary>
    AcceptOrReject,

    /// <summary>Refused with a typed exception.</summary>
    Reject,

    /// <summary>Loaded without an exception.</summary>
    Accept,
}

/// <summary>
/// One hostile input: a file or argument built in code, the public call it is handed to, and what must happen.
/// <paramref name="Run"/> builds its input in the case folder and calls the library; what it returns is checked
/// (a tensor must be finite) and disposed.
/// </summary>
/// <param name="Id">Stable name; handmade regression cases start with the defect number (D01 …).</param>
/// <param name="Target">The public API under test.</param>
/// <param name="Expect">The required outcome.</param>
/// <param name="Run">Builds the input in the given folder and calls the library.</param>
/// <param name="RejectWith">When set, the exception's type name (or a base type's) that a rejection must have.</param>
/// <param name="MessageContains">Fragments the exception message must contain (e.g. the field).</param>
/// <param name="MessageExcludes">Fragments it must not contain (file content).</param>
public sealed record HostileCase(
    string Id,
    string Target,
    Expectation Expect,
    Func<string, object?> Run,
    string? RejectWith = null,
    string[]? MessageContains = null,
    string[]? MessageExcludes = null);

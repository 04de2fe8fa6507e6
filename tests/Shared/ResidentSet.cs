using System.Globalization;

namespace Diffusion.Net.Testing;

/// <summary>This process's resident set, for the child processes that measure memory.</summary>
internal static class ResidentSet
{
    /// <summary>The resident set from <c>/proc/self/statm</c> (its second field, in pages).</summary>
    public static long Bytes() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
}

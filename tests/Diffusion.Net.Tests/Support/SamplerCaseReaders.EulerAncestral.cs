using System.Text.Json;
using Diffusion.Net.Sampling;

namespace Diffusion.Net.Tests.Support;

internal static partial class SamplerCaseReaders
{
    /// <summary>This library's reading of a recorded diffusers config (not written yet).</summary>
    public static ISampler EulerAncestral(JsonElement config) => throw new NotSupportedException("EulerAncestral is not ported yet.");
}

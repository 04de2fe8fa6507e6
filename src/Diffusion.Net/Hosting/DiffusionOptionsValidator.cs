using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Hosting;

/// <summary>Validates <see cref="DiffusionOptions"/> at start, naming every bad value.</summary>
internal sealed class DiffusionOptionsValidator : IValidateOptions<DiffusionOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!TryParseDevice(options.Device, out _))
            failures.Add($"Device '{options.Device}' is not one of cpu, cuda, cuda:N.");
        if (!TryParseDType(options.DType, out _))
            failures.Add($"DType '{options.DType}' is not one of float32, bfloat16, float64 (float16 is not supported on CPU: it is 50–350× slower).");
        if (options.Threads is < 1 or > 1024)
            failures.Add($"Threads must lie in [1, 1024]; got {options.Threads}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Parses a device name.</summary>
    public static bool TryParseDevice(string? text, out (DeviceType Type, int Index) device)
    {
        device = (DeviceType.CPU, -1);
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return true;
        if (t == "cuda") { device = (DeviceType.CUDA, 0); return true; }
        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t.AsSpan(5), out int index) && index >= 0)
        {
            device = (DeviceType.CUDA, index);
            return true;
        }
        return false;
    }

    /// <summary>Parses a dtype name.</summary>
    public static bool TryParseDType(string? text, out ScalarType dtype)
    {
        dtype = ScalarType.Float32;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "float32" or "fp32" or "float": dtype = ScalarType.Float32; return true;
            case "bfloat16" or "bf16": dtype = ScalarType.BFloat16; return true;
            case "float64" or "fp64" or "double": dtype = ScalarType.Float64; return true;
            default: return false;
        }
    }
}

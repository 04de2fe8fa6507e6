using Diffusion.Net.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Hosting;

/// <summary>
/// The configured runtime: device, dtype and threads from <see cref="DiffusionOptions"/>, and pipeline runs with
/// logging. Registered as a singleton by <c>AddDiffusion()</c>.
/// </summary>
public sealed class DiffusionRuntime
{
    private readonly ILogger<DiffusionRuntime> _logger;

    /// <summary>Creates the runtime from validated options.</summary>
    public DiffusionRuntime(IOptions<DiffusionOptions> options, ILogger<DiffusionRuntime>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        _logger = logger ?? NullLogger<DiffusionRuntime>.Instance;
        var result = new DiffusionOptionsValidator().Validate(null, Options);
        if (result.Failed) throw new OptionsValidationException(nameof(DiffusionOptions), typeof(DiffusionOptions), result.Failures);
        DiffusionOptionsValidator.TryParseDevice(Options.Device, out var d);
        Device = d.Type == DeviceType.CPU ? CPU : new Device(d.Type, d.Index);
        DiffusionOptionsValidator.TryParseDType(Options.DType, out var dtype);
        DType = dtype;
        if (Options.MklIgnoreCpuVendor)
        {
            MklOutcome = MklDispatch.IgnoreCpuVendor();
            if (MklOutcome == MklDispatchOutcome.AlreadyChosen)
                _logger.LogWarning("MklIgnoreCpuVendor had no effect: MKL had already chosen its kernels in this process; create the runtime before any float32 matrix product");
            else
                _logger.LogInformation("MklIgnoreCpuVendor: {Outcome}", MklOutcome);
        }
        if (Options.Threads is { } threads) set_num_threads(threads);
        // Which malloc serves libtorch's CPU tensors decides how a long-running service's memory behaves, and a
        // preload that did not take (a typo in LD_PRELOAD is only a loader warning) shows here.
        if (Device.type == DeviceType.CPU) _logger.LogInformation("CPU tensors are allocated by {Allocator} (NativeHeap.Allocator)", NativeHeap.Allocator);
    }

    /// <summary>The options.</summary>
    public DiffusionOptions Options { get; }

    /// <summary>The device.</summary>
    public Device Device { get; }

    /// <summary>The working dtype.</summary>
    public ScalarType DType { get; }

    /// <summary>What <see cref="DiffusionOptions.MklIgnoreCpuVendor"/> did; null when it is off.</summary>
    public MklDispatchOutcome? MklOutcome { get; }

    /// <summary>Run options for this runtime with <paramref name="seed"/> (or the default seed).</summary>
    public DiffusionRunOptions CreateRunOptions(long? seed = null)
        => new() { Seed = seed ?? Options.DefaultSeed, Device = Device, DType = DType };

    /// <summary>Runs a pipeline on a worker thread, logging its start, end and duration.</summary>
    public async Task<DiffusionResult> RunAsync(DiffusionPipeline pipeline, long? seed = null, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var options = CreateRunOptions(seed);
        _logger.LogDebug("Running {Pipeline} ({Steps} steps, seed {Seed}, {DType} on {Device})", pipeline, pipeline.TotalDenoisingSteps, options.Seed, DType, Device);
        var result = await pipeline.RunAsync(options, progress, cancellationToken).ConfigureAwait(false);
        _logger.LogDebug("Finished in {Elapsed:0.00} s", result.Elapsed.TotalSeconds);
        return result;
    }
}

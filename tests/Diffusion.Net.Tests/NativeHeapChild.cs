using System.Globalization;
using System.Runtime.InteropServices;
using Diffusion.Net.Hosting;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;

namespace Diffusion.Net.Tests;

/// <summary>
/// A fresh process for <see cref="NativeHeapTests"/>: the resident set is the whole process's, so no other test may
/// allocate while it is read. Leaves 239 MiB of freed 60 KiB blocks in holes between live ones (below glibc's mmap
/// threshold, so on the heap, and away from its top, so never trimmed on free), then does what <c>mode</c> names and
/// prints the resident set before and after, one <c>key=value</c> per line.
/// </summary>
internal static class NativeHeapChild
{
    private const int Block = 60 << 10, Blocks = 4352, Kept = 16; // every 16th block stays live

    public static int Run(string mode)
    {
        if (mode is not ("keep" or "release" or "run" or "run-without")) return 2;
        bool kept = mode == "keep" && NativeHeap.KeepLargeBuffers();
        // A tiny pipeline before the measurement, so that libtorch's own first-use allocations are not counted.
        var pipeline = DiffusionPipeline.FromNoise(1, 1, 8, 8)
            .Denoise(new GaussianDataPredictor(NoiseSchedules.Linear(1e-4, 0.02, 1000), 0.1, 0.5), Timesteps.Leading(4, 1000), Condition.None);
        pipeline.Run(new DiffusionRunOptions { Seed = 1, ReleaseFreedMemory = false }).Dispose();

        var blocks = new IntPtr[Blocks];
        for (int i = 0; i < Blocks; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(Block);
            // Touch every page, so that each is resident.
            for (int offset = 0; offset < Block; offset += 4096) Marshal.WriteByte(blocks[i], offset, 1);
        }
        for (int i = 0; i < Blocks; i++)
            if (i % Kept != Kept - 1) Marshal.FreeHGlobal(blocks[i]);
        long before = ResidentSet.Bytes();
        bool released = false;
        if (mode == "release") released = NativeHeap.ReleaseFreedMemory();
        else pipeline.Run(new DiffusionRunOptions { Seed = 2, ReleaseFreedMemory = mode != "run-without" }).Dispose();
        long after = ResidentSet.Bytes();
        for (int i = Kept - 1; i < Blocks; i += Kept) Marshal.FreeHGlobal(blocks[i]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"before={before}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after={after}"));
        Console.WriteLine($"released={released}");
        Console.WriteLine($"kept={kept}");
        Console.WriteLine($"allocator={NativeHeap.Allocator}");
        Console.WriteLine($"supported={NativeHeap.IsSupported}");
        return 0;
    }
}

namespace Diffusion.Net.Imaging;

/// <summary>Limits applied before an untrusted image is decoded.</summary>
public sealed record ImageLoadOptions
{
    /// <summary>
    /// The default limits: 8192 × 8192 pixels, 64 MP per frame and 64 MP summed over frames, 256 MB files, 1000 frames,
    /// 2³⁰ pixel passes of decode work.
    /// </summary>
    public static ImageLoadOptions Default { get; } = new();

    /// <summary>The largest accepted width.</summary>
    public int MaxWidth { get; init; } = 8192;

    /// <summary>The largest accepted height.</summary>
    public int MaxHeight { get; init; } = 8192;

    /// <summary>The largest accepted width × height.</summary>
    public long MaxPixels { get; init; } = 64L * 1024 * 1024;

    /// <summary>The largest accepted file.</summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>The largest accepted number of frames (animated formats).</summary>
    public int MaxFrames { get; init; } = 1000;

    /// <summary>
    /// The most pixels all frames together may decode to. Animated GIFs decode every frame to the full canvas, so
    /// this is canvas × frames. Default 64 Mi (one full-size frame, or many small ones).
    /// </summary>
    public long MaxTotalPixels { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// The most decode work, in pixel passes: pixels × frames, or pixels × scans for a progressive JPEG (whose
    /// decoder revisits every coefficient once per scan). Default 2³⁰, e.g. 16 scans of a 64 MP image.
    /// </summary>
    public long MaxDecodeWork { get; init; } = 1L << 30;

    /// <summary>Throws if a limit is not positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFileBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrames, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTotalPixels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDecodeWork, 1);
    }
}

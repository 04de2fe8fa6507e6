namespace Diffusion.Net.Imaging.Formats;

/// <summary>
/// What a structural pass over an image file found, before any decoder runs: the canvas size, the number of frames,
/// the decode work (pixels × passes: frames, progressive scans), and the bytes to hand to the decoder (metadata
/// chunks that decoders inflate or parse, such as PNG text and ICC chunks or JPEG EXIF, removed).
/// </summary>
internal sealed record ImageStructure(int Width, int Height, int Frames, long TotalPixels, long DecodeWork, byte[] Data);

/// <summary>A structural defect found by a format scanner; the loader turns it into an <see cref="InvalidImageException"/>.</summary>
internal sealed class ImageStructureException(string problem) : Exception(problem);

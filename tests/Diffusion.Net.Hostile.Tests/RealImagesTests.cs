using Diffusion.Net.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Hostile.Tests;

/// <summary>
/// The structural scanners in front of ImageSharp must not refuse real files: the repository's sample photos
/// (PNG and JPEG from real cameras and encoders) load, and re-encoded in every format (single- and multi-frame) too.
/// </summary>
public sealed class RealImagesTests
{
    public static TheoryData<string> SamplePhotos()
    {
        var data = new TheoryData<string>();
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var assets = Path.Combine(d.FullName, "samples", "assets");
            if (!File.Exists(Path.Combine(d.FullName, "Diffusion.Net.sln")) || !Directory.Exists(assets)) continue;
            foreach (var f in Directory.GetFiles(assets).Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(f));
            return data;
        }
        throw new InvalidOperationException("samples/assets not found above the test folder");
    }

    [Theory]
    [MemberData(nameof(SamplePhotos))]
    public void SamplePhoto_Loads_AsItselfAndInEveryFormat(string name)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Diffusion.Net.sln"))) root = root.Parent!;
        var path = Path.Combine(root.FullName, "samples", "assets", name);
        using var image = ImageIO.Load(path);
        image.Width.Should().BeGreaterThan(0);
        var dir = Directory.CreateTempSubdirectory("dn-real-").FullName;
        try
        {
            using var small = image.Clone(x => x.Resize(96, 64));
            small.Frames.AddFrame(small.Frames.RootFrame);
            foreach (var ext in new[] { "png", "jpg", "gif", "bmp", "tga", "tif", "webp", "pbm" })
            {
                var file = Path.Combine(dir, "x." + ext);
                small.Save(file);
                using var again = ImageIO.Load(file);
                again.Width.Should().Be(96, ext);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

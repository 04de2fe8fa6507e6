using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Diffusion.Net.IO;

/// <summary>
/// Writes a file so that readers only ever see the old content or the complete new content: write a temporary
/// file beside the destination, flush it to disk, rename it over the destination, then flush the folder so the
/// rename itself survives a power cut. Temporary files left by a killed writer are removed by the next write to
/// the same destination.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; on any exception the destination is untouched.</summary>
    /// <exception cref="IOException">Writing failed (e.g. the disk is full); the message names the destination.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var name = Path.GetFileName(full);
        RemoveStaleTemporaries(directory, name);
        // The writer's process id is part of the name, so a later writer can tell a dead writer's leftovers from a live one's.
        var temp = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"));
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (IOException e) when (e.GetType() == typeof(IOException) && e.Message.Contains(temp, StringComparison.Ordinal))
        {
            TryDelete(temp);
            // The user knows the destination, not the hidden temporary file.
            throw new IOException($"Writing '{full}' failed; the previous file is unchanged. {e.Message.Replace(temp, full, StringComparison.Ordinal)}", e) { HResult = e.HResult };
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        FlushDirectory(directory);
    }

    /// <summary>Writes text atomically (UTF-8, no byte-order mark).</summary>
    public static void WriteAllText(string path, string text)
        => Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });

    /// <summary>
    /// Deletes <c>.name.PID.GUID.tmp</c> files whose writer process no longer runs, and files of the older
    /// <c>.name.GUID.tmp</c> pattern (which carried no process id) once they are an hour old.
    /// </summary>
    private static void RemoveStaleTemporaries(string directory, string name)
    {
        string[] candidates;
        try { candidates = Directory.GetFiles(directory, $".{name}.*.tmp"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (var file in candidates)
        {
            var middle = Path.GetFileName(file)[(name.Length + 2)..^4].Split('.');
            bool stale = middle switch
            {
                [var pid, var guid] when int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int id) && guid.Length == 32 => !IsRunning(id),
                [var guid] when guid.Length == 32 => File.GetLastWriteTimeUtc(file) < DateTime.UtcNow.AddHours(-1),
                _ => false,
            };
            if (stale) TryDelete(file);
        }
    }

    private static bool IsRunning(int processId)
    {
        if (processId == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>fsync on the folder makes the rename durable (POSIX); Windows commits renames with the file.</summary>
    private static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = NativeMethods.open(directory, 0 /* O_RDONLY */);
        if (fd < 0) return;
        try { _ = NativeMethods.fsync(fd); }
        finally { _ = NativeMethods.close(fd); }
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int close(int fd);
    }
}

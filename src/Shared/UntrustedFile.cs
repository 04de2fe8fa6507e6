namespace Diffusion.Net.IO;

/// <summary>
/// Reads a file a user handed in without trusting what it is: only regular files of a known, non-zero size are
/// opened, and never more than that size (and the budget) is read. A FIFO, a character device (<c>/dev/zero</c>) or
/// a <c>/proc</c> file reports size 0, so it is refused before <c>open</c> could block or a read could run forever.
/// Compiled into each package as shared source, so packages of different versions never depend on each other's
/// internals.
/// </summary>
internal static class UntrustedFile
{
    /// <summary>
    /// The file's length after checking it is a regular, non-empty file within <paramref name="maxBytes"/>;
    /// <paramref name="fail"/> builds the loader's typed exception from a problem text.
    /// </summary>
    public static long CheckedLength(string path, long maxBytes, Func<string, Exception> fail)
    {
        FileSystemInfo info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"'{path}' does not exist.", path);
        // FileInfo describes a symbolic link itself (its Length is the target path's length): judge the final target,
        // or a link to a pipe would pass and block in open().
        if (info.LinkTarget is not null)
        {
            info = File.ResolveLinkTarget(path, returnFinalTarget: true) ?? info;
            if (!info.Exists) throw new FileNotFoundException($"'{path}' is a link to a file that does not exist.", path);
        }
        if (info is not FileInfo file || (info.Attributes & FileAttributes.Directory) != 0) throw fail("it is a directory");
        long length = file.Length;
        if (length == 0) throw fail("the file is empty or not a regular file (a pipe, a device or a virtual file)");
        if (length > maxBytes) throw fail($"the file is {length} bytes, more than the limit of {maxBytes}");
        return length;
    }

    /// <summary>All bytes of a regular file of at most <paramref name="maxBytes"/> bytes.</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, Func<string, Exception> fail)
    {
        long length = CheckedLength(path, maxBytes, fail);
        if (length > Array.MaxLength) throw fail($"the file is {length} bytes, more than one buffer can hold");
        using var stream = Open(path);
        var data = new byte[length];
        int done = 0;
        while (done < data.Length)
        {
            int n = stream.Read(data, done, data.Length - done);
            if (n <= 0) throw fail($"the file shrank while it was read ({done} of {length} bytes)");
            done += n;
        }
        if (stream.ReadByte() >= 0) throw fail("the file grew while it was read");
        return data;
    }

    /// <summary>Opens a file already checked by <see cref="CheckedLength"/> for reading.</summary>
    public static FileStream Open(string path)
        => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
}

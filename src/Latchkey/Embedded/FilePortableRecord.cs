namespace Latchkey.Embedded;

/// <summary>
/// A holder's or waiter's record for the portable <c>file://</c>: <c>&lt;base&gt;.held-&lt;pid&gt;-&lt;id&gt;</c> or
/// <c>.wait-…</c> beside the lock, kept open (shared for reading) by its owner and deleted when it lets go. The
/// OS closes the handle of an owner that dies; a record that can then be opened alone is stale, and status
/// readers delete it. Prepared under a hidden name and renamed into place, so it is never seen empty; its
/// appearing and going are what wake other processes' waiters (a <see cref="FileSystemWatcher"/> sees no close).
/// </summary>
internal sealed class FilePortableRecord : IDisposable
{
    public const string HolderPrefix = "held-";
    public const string WaiterPrefix = "wait-";

    private readonly FileStream _stream;
    private readonly string _path;

    private FilePortableRecord(FileStream stream, string path)
    {
        _stream = stream;
        _path = path;
    }

    public static FilePortableRecord Create(string prefixPath, string kind, FileHolderInfo info)
    {
        var path = $"{prefixPath}{kind}{Environment.ProcessId}-{Guid.NewGuid():N}";
        var temporary = Path.Combine(Path.GetDirectoryName(prefixPath)!, $".tmp-{Guid.NewGuid():N}");
        // Delete in the share mode: the record is renamed and deleted while open. DeleteOnClose lets Windows remove
        // the record of an owner that dies.
        var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.DeleteOnClose);
        try
        {
            info.Write(stream.SafeFileHandle, 0);
            File.Move(temporary, path);
            return new FilePortableRecord(stream, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Rewrites the record (an election's new value).</summary>
    public void Rewrite(FileHolderInfo info)
    {
        _stream.SetLength(0);
        info.Write(_stream.SafeFileHandle, 0);
    }

    /// <summary>The live records of <paramref name="kind"/> beside <paramref name="prefixPath"/>; stale ones are deleted.</summary>
    public static List<FileHolderInfo> List(string prefixPath, string kind)
    {
        var found = new List<FileHolderInfo>();
        var folder = Path.GetDirectoryName(prefixPath)!;
        string[] paths;
        try
        {
            paths = Directory.GetFiles(folder, Path.GetFileName(prefixPath) + kind + "*");
        }
        catch (DirectoryNotFoundException)
        {
            return found;
        }

        foreach (var path in paths)
        {
            if (FileShareLock.TryOpenExclusive(path, FileOptions.DeleteOnClose) is { } stale)
            {
                // Nobody keeps it open: its owner died. (A record is renamed into place already open.)
                TryDelete(path);
                stale.Dispose();
                continue;
            }

            using var reader = FileShareLock.TryOpenToRead(path);
            if (reader is not null && FileHolderInfo.Read(reader.SafeFileHandle, 0) is { } info)
            {
                found.Add(info);
            }
        }

        found.Sort((a, b) => a.Token != b.Token ? a.Token.CompareTo(b.Token) : a.Since.CompareTo(b.Since));
        return found;
    }

    public void Dispose()
    {
        TryDelete(_path); // Unix's DeleteOnClose would remove the temporary name, not this one.
        _stream.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Already gone, or someone else's to remove.
        }
    }
}

using Latchkey.Backend;

namespace Latchkey.Embedded;

/// <summary>
/// Creates <c>file:///absolute/dir</c> backends (<c>file://localhost/absolute/dir</c> also works). The
/// directory is created at the first use (or at <see cref="ILockProvider.ConnectAsync"/>), not here.
/// Relative paths are refused: <c>file://relative/dir</c> would read <c>relative</c> as a host, and two
/// processes with different working directories would silently use different locks.
/// </summary>
internal sealed class FileLockBackendFactory : ILockBackendFactory
{
    /// <exception cref="FormatException">Not an absolute local directory, or an unknown parameter.</exception>
    /// <exception cref="PlatformNotSupportedException">Not running on Linux.</exception>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        connectionString.ThrowOnUnknownParameters();
        if (connectionString.UserName is not null
            || connectionString.Endpoints.Count > 1
            || (connectionString.Endpoints.Count == 1 && (!string.Equals(connectionString.Endpoints[0].Host, "localhost", StringComparison.OrdinalIgnoreCase) || connectionString.Endpoints[0].Port is not null)))
        {
            throw new FormatException($"file:// takes an absolute directory, as in 'file:///var/lock/app', not a host; got '{connectionString.Original}'.");
        }

        var path = connectionString.Path;
        if (path.Length == 0 || path[0] != '/' || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new FormatException($"file:// takes an absolute directory, as in 'file:///var/lock/app'; got '{connectionString.Original}'.");
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The file:// lock backend needs Linux (flock and inotify).");
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return new FileLockBackend(root.Length == 0 ? "/" : root, options);
    }
}

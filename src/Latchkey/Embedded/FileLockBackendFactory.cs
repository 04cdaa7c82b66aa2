using Latchkey.Backend;

namespace Latchkey.Embedded;

/// <summary>
/// Creates <c>file:///absolute/dir</c> backends (<c>file://localhost/absolute/dir</c> also works; on Windows
/// <c>file:///C:/dir</c>). The directory is created at the first use (or at <see cref="ILockProvider.ConnectAsync"/>),
/// not here. Relative paths are refused: <c>file://relative/dir</c> would read <c>relative</c> as a host, and two
/// processes with different working directories would silently use different locks. <c>?impl=</c> picks the
/// implementation: <c>flock</c> (<see cref="FileLockBackend"/>, the default on Linux, which alone has it) or
/// <c>portable</c> (<see cref="FilePortableLockBackend"/>, the default elsewhere).
/// </summary>
internal sealed class FileLockBackendFactory : ILockBackendFactory
{
    /// <exception cref="FormatException">Not an absolute local directory, or an unknown parameter.</exception>
    /// <exception cref="PlatformNotSupportedException"><c>impl=flock</c> where the OS is not Linux.</exception>
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        var impl = connectionString.GetString("impl");
        connectionString.ThrowOnUnknownParameters();
        if (impl is not (null or "flock" or "portable"))
        {
            throw new FormatException($"file:// 'impl' must be 'flock' (Linux) or 'portable'; got '{impl}' in '{connectionString.Original}'.");
        }

        if (connectionString.UserName is not null
            || connectionString.Endpoints.Count > 1
            || (connectionString.Endpoints.Count == 1 && (!string.Equals(connectionString.Endpoints[0].Host, "localhost", StringComparison.OrdinalIgnoreCase) || connectionString.Endpoints[0].Port is not null)))
        {
            throw new FormatException($"file:// takes an absolute directory, as in 'file:///var/lock/app', not a host; got '{connectionString.Original}'.");
        }

        var path = connectionString.Path;
        if (OperatingSystem.IsWindows() && path.Length >= 3 && path[0] == '/' && char.IsAsciiLetter(path[1]) && path[2] == ':')
        {
            path = path[1..]; // file:///C:/dir
        }

        var absolute = OperatingSystem.IsWindows() ? Path.IsPathFullyQualified(path) : path.Length > 0 && path[0] == '/';
        if (!absolute || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new FormatException($"file:// takes an absolute directory, as in 'file:///var/lock/app'; got '{connectionString.Original}'.");
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (root.Length == 0)
        {
            root = "/";
        }

        if (impl == "portable" || (impl is null && !OperatingSystem.IsLinux()))
        {
            return new FilePortableLockBackend(root, options);
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("file:// with impl=flock needs Linux (flock and inotify); leave 'impl' out for the portable implementation.");
        }

        return new FileLockBackend(root, options);
    }
}

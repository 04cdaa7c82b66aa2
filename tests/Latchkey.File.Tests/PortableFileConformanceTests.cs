using Latchkey.Conformance;

namespace Latchkey.File.Tests;

/// <summary>
/// The conformance suite against the portable <c>file://</c> (<c>?impl=portable</c>: share modes and a file system
/// watcher instead of flock and inotify), the implementation Windows and macOS get, each test in a directory of its own.
/// </summary>
public sealed class PortableFileConformanceTests : LockConformanceSuite
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("latchkey-file-portable-");

    protected override string? ChildProcessConnectionString => $"file://{_dir.FullName}?impl=portable";

    protected override IEnumerable<string> MalformedConnectionStrings =>
        ["file://relative/dir?impl=portable", "file:///tmp/x?impl=bogus", "file:///tmp/x?impl=portable&bogus=1"];

    protected override string? UnreachableConnectionString => "file:///proc/latchkey-cannot-be-here?impl=portable";

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect($"file://{_dir.FullName}?impl=portable"));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}

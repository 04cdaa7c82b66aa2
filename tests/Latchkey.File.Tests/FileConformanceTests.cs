using Latchkey.Conformance;

namespace Latchkey.File.Tests;

/// <summary>The conformance suite against <c>file://</c>, each test in a directory of its own.</summary>
public sealed class FileConformanceTests : LockConformanceSuite
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("latchkey-file-conf-");

    protected override string? ChildProcessConnectionString => "file://" + _dir.FullName;

    protected override IEnumerable<string> MalformedConnectionStrings =>
        ["file://relative/dir", "file://", "file://host:1/tmp/x", "file:///tmp/x?bogus=1"];

    // Not a server, but the file:// equivalent: a directory that cannot be created.
    protected override string? UnreachableConnectionString => "file:///proc/latchkey-cannot-be-here";

    protected override ValueTask<ILockProvider> CreateProviderAsync() =>
        ValueTask.FromResult(LockProvider.Connect("file://" + _dir.FullName));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}

namespace Latchkey.Fencing.PostgreSql.Tests;

/// <summary>A lock handle with a chosen token, so a test can play holders in any order.</summary>
internal sealed class FakeHandle(string name, long fencingToken, bool lost = false) : ILockHandle
{
    public string Name => name;

    public long FencingToken => fencingToken;

    public CancellationToken Lost => new(lost);

    public bool IsHeld => !lost;

    public void ThrowIfNotHeld()
    {
        if (lost)
        {
            throw new LockLostException($"'{name}' is lost.");
        }
    }

    public ValueTask ReleaseAsync() => default;

    public ValueTask DisposeAsync() => default;
}

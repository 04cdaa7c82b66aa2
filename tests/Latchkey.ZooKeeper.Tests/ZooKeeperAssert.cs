using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>Asserts that the client failed with a given <see cref="ZooKeeperErrorCode"/>.</summary>
internal static class ZooKeeperAssert
{
    public static async Task<ZooKeeperException> ThrowsAsync(ZooKeeperErrorCode code, Func<Task> action)
    {
        var ex = await Assert.ThrowsAsync<ZooKeeperException>(action);
        Assert.Equal(code, ex.Code);
        return ex;
    }

    public static ZooKeeperException Throws(ZooKeeperErrorCode code, Action action)
    {
        var ex = Assert.Throws<ZooKeeperException>(action);
        Assert.Equal(code, ex.Code);
        return ex;
    }
}

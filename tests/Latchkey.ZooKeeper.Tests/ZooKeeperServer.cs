using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>The ZooKeeper the tests use: $LATCHKEY_ZK (skipped when unset, failed when CI=true).</summary>
internal static class ZooKeeperServer
{
    public static string ConnectionString()
    {
        var value = Environment.GetEnvironmentVariable("LATCHKEY_ZK");
        if (string.IsNullOrEmpty(value))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail("LATCHKEY_ZK is not set (CI=true requires the server).");
            }

            Assert.Skip("LATCHKEY_ZK is not set.");
        }

        return value;
    }

    /// <summary>The host list of $LATCHKEY_ZK in ZooKeeper's own form (<c>host:port,…</c>).</summary>
    public static string HostList() => ConnectionString()["zk://".Length..].Split('/', '?')[0];

    public static ZooKeeperClientOptions Options(string? chroot = null, TimeSpan? sessionTimeout = null) =>
        ZooKeeperClientOptions.Parse(HostList()) with
        {
            Chroot = chroot,
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
        };

    public static Task<ZooKeeperClient> ConnectAsync(string? chroot = null, TimeSpan? sessionTimeout = null) =>
        ZooKeeperClient.ConnectAsync(Options(chroot, sessionTimeout), TestContext.Current.CancellationToken);

    /// <summary>A fresh test root under /latchkey-tests, deleted with its children at the end.</summary>
    public static string UniqueRoot() => "/latchkey-tests-" + Guid.NewGuid().ToString("N")[..12];

    public static async Task DeleteTreeAsync(ZooKeeperClient client, string path)
    {
        ZooKeeperChildrenResult children;
        try
        {
            children = await client.GetChildrenAsync(path);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return;
        }

        foreach (var child in children.Children)
        {
            await DeleteTreeAsync(client, path == "/" ? "/" + child : path + "/" + child);
        }

        try
        {
            await client.DeleteAsync(path);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
        }
    }
}

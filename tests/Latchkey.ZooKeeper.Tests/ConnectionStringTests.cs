using Latchkey.Backend;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper.Tests;

public sealed class ConnectionStringTests
{
    [Fact]
    public void ClientOptions_ParseZooKeepersOwnConnectString()
    {
        var options = ZooKeeperClientOptions.Parse("10.0.0.1:2182,zk2,[::1]:2183/app/locks");
        Assert.Equal([("10.0.0.1", 2182), ("zk2", 2181), ("::1", 2183)], options.Hosts);
        Assert.Equal("/app/locks", options.Chroot);
        Assert.Null(ZooKeeperClientOptions.Parse("h:1/").Chroot);
    }

    [Theory]
    [InlineData("")]
    [InlineData("h:0")]
    [InlineData("h:x")]
    [InlineData("h:1/a//b")]
    [InlineData("h:1/a/./b")]
    public void ClientOptions_RejectMalformedConnectStrings(string text) =>
        Assert.Throws<FormatException>(() => ZooKeeperClientOptions.Parse(text));

    [Fact]
    public void Factory_ReadsOptionsAndCredentials()
    {
        var backend = (ZooKeeperLockBackend)((LockProvider)LockProvider.Connect("zk://bob:s3cret@127.0.0.1:1,127.0.0.2/app?sessionTimeout=4s&connectTimeout=500ms")).Backend;
        Assert.Equal("zk", backend.Capabilities.Backend);
        Assert.True(backend.Capabilities.HerdFree && backend.Capabilities.Fair && backend.Capabilities.DurableFencingTokens);
    }

    [Theory]
    [InlineData("zk://")]
    [InlineData("zk://h:1?sessionTimeout=0s")]
    [InlineData("zk://h:1?connectTimeout=-1s")]
    [InlineData("zk://h:1?auth=")]
    [InlineData("zk://h:1?ttl=5s")]
    [InlineData("zk://h:1?layout=etcd")]
    public void Factory_RejectsBadConnectionStrings(string text) =>
        Assert.Throws<FormatException>(() => LockProvider.Connect(text));

    [Fact]
    public void Digest_UserNameCannotHoldAColon() =>
        Assert.Throws<ArgumentException>(() => ZooKeeperAuth.Digest("a:b", "c"));

    [Fact]
    public void CuratorLayout_PutsLocksWhereCuratorDoes_AndOtherKindsOutOfReach()
    {
        var curator = ZooKeeperLayout.Parse("curator");
        Assert.Equal("/jobs", curator.ParentPath(LockKind.Lock, "jobs"));
        Assert.Equal("/jobs", curator.ParentPath(LockKind.ReaderWriter, "jobs"));
        Assert.Equal("/%2Elatchkey", curator.ParentPath(LockKind.Lock, LockName.Escape(".latchkey")));
        Assert.Equal("/.latchkey/semaphore/jobs", curator.ParentPath(LockKind.Semaphore, "jobs"));
        Assert.Same(ZooKeeperLayout.Latchkey, ZooKeeperLayout.Parse(null));

        var guid = Guid.NewGuid();
        var request = new LockRequest { Kind = LockKind.ReaderWriter, Name = "jobs", EscapedName = "jobs", Access = LockAccess.Shared, Permits = 1, Options = new LockOptions(), Wait = true };
        Assert.Equal($"/jobs/_c_{guid:D}-__READ__", curator.NodePrefix("/jobs", request, guid));
    }
}

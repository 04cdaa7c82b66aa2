using Latchkey.Conformance;

namespace Latchkey.Fault.Tests;

/// <summary>The fault suite against etcd: one lease per provider, TTL from the connection string.</summary>
public sealed class EtcdFaultTests : LockFaultSuite
{
    protected override string ServerHostPort => HostPortOf(TestServers.Require("LATCHKEY_ETCD"));

    protected override string ConnectionStringFor(string hostPort) => $"etcd://{hostPort}?ttl={Ttl.TotalSeconds}s";

    internal static string HostPortOf(string connectionString) => LockConnectionString.Parse(connectionString).Endpoints[0].ToString();
}

/// <summary>The fault suite against Redis: the TTL is the lock's.</summary>
public sealed class RedisFaultTests : LockFaultSuite
{
    protected override string ServerHostPort => EtcdFaultTests.HostPortOf(TestServers.Require("LATCHKEY_REDIS"));

    protected override string ConnectionStringFor(string hostPort) => $"redis://{hostPort}";
}

/// <summary>The fault suite against ZooKeeper: the session timeout plays the TTL.</summary>
public sealed class ZooKeeperFaultTests : LockFaultSuite
{
    protected override string ServerHostPort => EtcdFaultTests.HostPortOf(TestServers.Require("LATCHKEY_ZK"));

    protected override string ConnectionStringFor(string hostPort) => $"zk://{hostPort}?sessionTimeout={Ttl.TotalSeconds}s";
}

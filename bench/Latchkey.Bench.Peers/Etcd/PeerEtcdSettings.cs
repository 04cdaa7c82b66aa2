namespace Latchkey.Bench.Peers.Etcd;

/// <summary>Reads an etcd peer's connection string: one <c>host:port</c> and an optional <c>?ttl=</c> for its lease (default 30 s).</summary>
internal static class PeerEtcdSettings
{
    public static PeerEtcdSession CreateSession(LockConnectionString connectionString)
    {
        var endpoint = PeerAddress.Single(connectionString, 2379);
        var ttl = connectionString.GetDuration("ttl") ?? LockOptions.DefaultTtl;
        connectionString.ThrowOnUnknownParameters();
        if (ttl < TimeSpan.FromSeconds(2))
        {
            throw new FormatException($"ttl must be at least 2s (etcd leases count whole seconds); got {ttl}.");
        }

        return new PeerEtcdSession(endpoint, ttl);
    }
}

using Latchkey.Backend;
using Latchkey.ZooKeeper.Client;

namespace Latchkey.ZooKeeper;

/// <summary>
/// Where a queue's nodes live (<c>/latchkey/{kind}/{escaped name}/{tag}-{guid}-{sequence}</c>), and the requests
/// on them that must come through a lost connection: create ours (and find it again when the reply was lost),
/// list the queue, delete ours.
/// </summary>
internal static class ZooKeeperQueueNodes
{
    public const string RootPath = "/latchkey";
    public const string LockTag = "lock";
    public const string ReadTag = "read";
    public const string WriteTag = "write";
    public const string SemaphoreTag = "sem";
    public const string CandidateTag = "cand";

    private const int MaxCreateRetries = 20;
    private const int MaxParentCreations = 5;
    private const int MaxListRetries = 20;

    /// <summary>The directory of one primitive's queue.</summary>
    public static string ParentPath(LockKind kind, string escapedName) => kind switch
    {
        LockKind.Lock => $"{RootPath}/lock/{escapedName}",
        LockKind.ReaderWriter => $"{RootPath}/rw/{escapedName}",
        LockKind.Semaphore => $"{RootPath}/semaphore/{escapedName}",
        _ => $"{RootPath}/election/{escapedName}",
    };

    /// <summary>The first part of a node's name: what it asks for (<see cref="ZooKeeperQueueEntry"/> reads it back).</summary>
    public static string Tag(LockRequest request) => request.Kind switch
    {
        LockKind.Lock => LockTag,
        LockKind.ReaderWriter => request.Access == LockAccess.Shared ? ReadTag : WriteTag,
        LockKind.Semaphore => $"{SemaphoreTag}-p{request.Permits}",
        _ => CandidateTag,
    };

    /// <summary>
    /// Creates our ephemeral-sequential node, with the children listing pipelined right behind it (ZooKeeper
    /// answers a session in order, so the listing includes our node). Creates the parents if missing. If the
    /// reply to the create is lost with the connection, finds the node again by its GUID instead of leaking it.
    /// </summary>
    public static async Task<(string Path, long Czxid, IReadOnlyList<string>? Children)> CreateAsync(
        ZooKeeperClient client, string parent, string prefix, string marker, ReadOnlyMemory<byte> data)
    {
        for (var attempt = 0; ; attempt++)
        {
            var create = client.CreateAsync(prefix, data, CreateMode.EphemeralSequential);
            var list = client.GetChildrenAsync(parent);
            try
            {
                var created = await create.ConfigureAwait(false);
                IReadOnlyList<string>? children = null;
                try
                {
                    children = (await list.ConfigureAwait(false)).Children;
                }
                catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss)
                {
                    // Listed again by the caller.
                }

                return (created.Path, created.Stat.Czxid, children);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode && attempt < MaxParentCreations)
            {
                await ObserveAsync(list).ConfigureAwait(false);
                await EnsureParentsAsync(client, parent).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss && attempt < MaxCreateRetries)
            {
                await ObserveAsync(list).ConfigureAwait(false);
                if (await FindOwnAsync(client, parent, marker).ConfigureAwait(false) is { } found)
                {
                    return (found.Path, found.Czxid, null);
                }
            }
        }
    }

    /// <summary>The queue's node names, retried through reconnects (a read is safe to repeat).</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(ZooKeeperClient client, string parent)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await client.GetChildrenAsync(parent).ConfigureAwait(false)).Children;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss && attempt < MaxListRetries)
            {
                // A read is safe to repeat once reconnected.
            }
        }
    }

    /// <summary>
    /// Deletes our node until it is gone. True once it is gone (or died with a session the server confirmed
    /// over); false if the session was given up without confirmation, so the node may live until it expires.
    /// </summary>
    public static async Task<bool> DeleteOwnAsync(ZooKeeperClient client, string path)
    {
        while (true)
        {
            try
            {
                await client.DeleteAsync(path).ConfigureAwait(false);
                return true;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return true;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss)
            {
                // Unknown whether it was applied: the next attempt waits for the reconnect and finds out.
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                return client.SessionEndConfirmed;
            }
        }
    }

    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (ZooKeeperException)
        {
            // Its outcome was already handled through the request it rode behind.
        }
    }

    private static async Task<(string Path, long Czxid)?> FindOwnAsync(ZooKeeperClient client, string parent, string marker)
    {
        for (var attempt = 0; attempt < MaxListRetries; attempt++)
        {
            try
            {
                var children = await client.GetChildrenAsync(parent).ConfigureAwait(false);
                var mine = children.Children.FirstOrDefault(c => c.Contains(marker, StringComparison.Ordinal));
                if (mine is null)
                {
                    return null;
                }

                var path = $"{parent}/{mine}";
                var stat = await client.ExistsAsync(path).ConfigureAwait(false);
                if (stat is null)
                {
                    return null;
                }

                if (stat.EphemeralOwner != client.SessionId)
                {
                    // Made by an earlier session of ours that is gone: never adopt it.
                    await DeleteOwnAsync(client, path).ConfigureAwait(false);
                    return null;
                }

                return (path, stat.Czxid);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
            {
                return null;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.ConnectionLoss)
            {
                // Try again once reconnected.
            }
        }

        throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, $"Could not find out whether our node under {parent} was created: the connection kept failing.");
    }

    private static async Task EnsureParentsAsync(ZooKeeperClient client, string parent)
    {
        // Pipelined, top down; "already exists" is success. The lock's own directory is a container, so
        // the server removes it once its last node goes, and names used once do not pile up.
        // The shared directories above it (/latchkey, /latchkey/lock) stay open to every identity; only a lock's
        // own directory and nodes take the session's default ACL (creator-only when the connection string has
        // credentials).
        var creates = new List<Task<ZooKeeperCreateResult>>();
        for (var slash = parent.IndexOf('/', 1); slash > 0; slash = parent.IndexOf('/', slash + 1))
        {
            creates.Add(client.CreateAsync(parent[..slash], default, CreateMode.Persistent, ZooKeeperAcl.OpenUnsafe));
        }

        creates.Add(client.CreateAsync(parent, default, CreateMode.Container));
        foreach (var create in creates)
        {
            try
            {
                await create.ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NodeExists)
            {
            }
        }
    }
}

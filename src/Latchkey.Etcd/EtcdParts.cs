using Latchkey.Backend;
using Latchkey.Etcd.Client;
using Microsoft.Extensions.Logging;

namespace Latchkey.Etcd;

/// <summary>
/// The provider's plumbing that the queue, its seams and its acquisitions use, made once by the backend: one client,
/// one watch stream, one lease keeper, the key layout and numbers, the batcher (null when batching is off).
/// </summary>
internal sealed record EtcdParts(
    EtcdClient Client,
    EtcdWatchStream Watches,
    EtcdLeaseKeeper Leases,
    EtcdKeyspace Keys,
    EtcdKeyNumbers Numbers,
    EtcdBatcher? Batcher,
    BackendInstruments Instruments,
    EtcdCounters Counters,
    ILogger Logger);

using Google.Protobuf;
using Google.Protobuf.Collections;
using Latchkey.Etcd.Client;
using Latchkey.Etcd.Protocol;

namespace Latchkey.Etcd;

/// <summary>
/// The <see cref="EtcdOptimizations.SecondWatch"/> seam: the next in line watches its predecessor's deletion twice.
/// etcd starts a watch created "from now" at the revision it read just before, so a write landing in between leaves
/// the watch unsynced, and its events wait for etcd's catch-up pass (every 100 ms): now and then a hand-off stalls
/// that long (docs/backends/etcd.md). A second watch on the same key, started at another moment, makes that stall need
/// two such races; whichever reports first wakes the waiter.
/// </summary>
internal sealed class EtcdSecondWatch(EtcdWatchStream watches)
{
    /// <summary>Starts the second watch of <paramref name="predecessor"/>'s deletion, reporting to the same <paramref name="handler"/>; the caller cancels it.</summary>
    public EtcdWatch Start(ByteString predecessor, Action<EtcdWatch, RepeatedField<Event>?> handler) =>
        watches.Watch(predecessor, ByteString.Empty, 0, deletesOnly: true, handler, awaitable: false);
}

using System.Diagnostics.Metrics;

namespace Latchkey.Internal;

/// <summary>Counters on the <c>Latchkey</c> meter (System.Diagnostics.Metrics: no dependency, near-free when nobody listens).</summary>
internal static class LockMetrics
{
    private static readonly Meter Meter = new("Latchkey");
    private static readonly Counter<long> Acquisitions = Meter.CreateCounter<long>("latchkey.acquisitions", description: "Locks acquired.");
    private static readonly Counter<long> Releases = Meter.CreateCounter<long>("latchkey.releases", description: "Locks released.");
    private static readonly Counter<long> ReleaseFailures = Meter.CreateCounter<long>(
        "latchkey.lock.release.failures", "{release}", "Releases on dispose that could not be confirmed (the lease or TTL frees the lock).");

    public static void Acquired(LockKind kind)
    {
        if (Acquisitions.Enabled)
        {
            Acquisitions.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()));
        }
    }

    public static void ReleaseFailed()
    {
        if (ReleaseFailures.Enabled)
        {
            ReleaseFailures.Add(1);
        }
    }

    public static void Released()
    {
        if (Releases.Enabled)
        {
            Releases.Add(1);
        }
    }
}

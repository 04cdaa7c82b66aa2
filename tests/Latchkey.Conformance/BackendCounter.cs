using System.Diagnostics.Metrics;
using Latchkey.Backend;

namespace Latchkey.Conformance;

/// <summary>
/// Sums one counter of one provider's backend on the <c>Latchkey</c> meter, from the moment it is made:
/// the way tests observe wake-ups, look-aheads and batches without a public test hook.
/// </summary>
public sealed class BackendCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Func<ReadOnlySpan<KeyValuePair<string, object?>>, bool>? _filter;
    private long _value;

    private BackendCounter(object scope, string instrument, Func<ReadOnlySpan<KeyValuePair<string, object?>>, bool>? filter)
    {
        _filter = filter;
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Meter.Name == "Latchkey" && ReferenceEquals(published.Meter.Scope, scope) && published.Name == instrument)
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
        {
            if (_filter is null || _filter(tags))
            {
                Interlocked.Add(ref _value, measurement);
            }
        });
        _listener.Start();
    }

    /// <summary>The sum of the counter's measurements since this object was made.</summary>
    public long Value => Interlocked.Read(ref _value);

    /// <summary>Listens to <paramref name="instrument"/> of the backend behind <paramref name="provider"/>.</summary>
    public static BackendCounter Listen(ILockProvider provider, string instrument) =>
        new(((LockProvider)provider).Backend.Instruments, instrument, null);

    /// <summary>Listens to <paramref name="instrument"/> of <paramref name="instruments"/>, counting only measurements whose attributes pass <paramref name="filter"/>.</summary>
    internal static BackendCounter Listen(BackendInstruments instruments, string instrument, Func<ReadOnlySpan<KeyValuePair<string, object?>>, bool>? filter = null) =>
        new(instruments, instrument, filter);

    /// <summary>A filter for <see cref="BackendInstruments.CallSent"/>'s measurements of calls that carried a batch.</summary>
    internal static bool Batched(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == BackendInstruments.BatchedAttribute)
            {
                return tag.Value is true;
            }
        }

        return false;
    }

    /// <summary>Wake-ups of waiting acquires (<c>latchkey.lock.waiter.wakeups</c>).</summary>
    public static BackendCounter WaiterWakeups(ILockProvider provider) => Listen(provider, "latchkey.lock.waiter.wakeups");

    /// <summary>Reads waiters made ahead of their turn (<c>latchkey.lock.waiter.lookaheads</c>).</summary>
    public static BackendCounter WaiterLookAheads(ILockProvider provider) => Listen(provider, "latchkey.lock.waiter.lookaheads");

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}

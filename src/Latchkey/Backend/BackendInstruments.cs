using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Latchkey.Backend;

/// <summary>
/// One backend instance's instruments on the <c>Latchkey</c> meter: how often waiters wake, look ahead,
/// and how requests share round trips. Operators read them with any metrics exporter; tests read one
/// backend's own with a <see cref="MeterListener"/> that matches <see cref="Meter.Scope"/> to this object.
/// </summary>
internal sealed class BackendInstruments : IDisposable
{
    private readonly Meter _meter;
    private readonly KeyValuePair<string, object?> _backend;
    private readonly Counter<long> _wakeups;
    private readonly Counter<long> _lookAheads;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _requests;

    /// <summary>Creates the instruments of one backend instance serving <paramref name="scheme"/>.</summary>
    public BackendInstruments(string scheme)
    {
        _meter = new Meter(new MeterOptions("Latchkey") { Scope = this });
        _backend = new("latchkey.backend", scheme);
        _wakeups = _meter.CreateCounter<long>(
            "latchkey.lock.waiter.wakeups", "{wakeup}", "Times a waiting acquire was woken because its turn may have come (herd-free: once per release).");
        _lookAheads = _meter.CreateCounter<long>(
            "latchkey.lock.waiter.lookaheads", "{read}", "Reads a waiter made ahead of its turn, to be ready when it comes.");
        _calls = _meter.CreateCounter<long>(
            "latchkey.backend.calls", "{call}", "Round trips sent through a request batcher; attribute latchkey.batched tells shared ones apart.");
        _requests = _meter.CreateCounter<long>(
            "latchkey.backend.requests", "{request}", "Requests those round trips carried.");
    }

    /// <summary>The attribute name that tells a batched call from one sent alone.</summary>
    public const string BatchedAttribute = "latchkey.batched";

    /// <summary>A waiting acquire was woken because its turn may have come.</summary>
    public void WaiterWokenUp()
    {
        if (_wakeups.Enabled)
        {
            _wakeups.Add(1, _backend);
        }
    }

    /// <summary>A waiter read ahead of its turn.</summary>
    public void WaiterLookedAhead()
    {
        if (_lookAheads.Enabled)
        {
            _lookAheads.Add(1, _backend);
        }
    }

    /// <summary>One round trip carried <paramref name="requests"/> requests, alone or shared.</summary>
    public void CallSent(int requests, bool batched)
    {
        if (_calls.Enabled || _requests.Enabled)
        {
            var tags = new TagList { _backend, { BatchedAttribute, batched } };
            _calls.Add(1, tags);
            _requests.Add(requests, tags);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}

namespace Latchkey.Backend;

/// <summary>
/// Sends requests that one provider's callers ask a server for at the same moment several to one call, for a
/// backend whose server pays mostly per call (a script call, a Raft entry). A request goes out alone, sent by
/// its own caller, while fewer than the given number of calls are unanswered; otherwise it waits, and the next
/// call to end sends what waited by then (as much of it as <see cref="TakeBatch"/> takes). So a lone caller
/// never waits for anyone, a waiting request waits behind at most one call, and under load many requests share
/// a call.
/// </summary>
/// <typeparam name="TRequest">One caller's request; it carries the completion its caller awaits.</typeparam>
internal abstract class RequestBatcher<TRequest>
    where TRequest : class
{
    private readonly Lock _gate = new();
    private readonly List<TRequest> _waiting = [];
    private readonly int _maxInFlight;
    private readonly BackendInstruments _instruments;
    private int _inFlight;

    /// <summary>Creates a batcher that lets <paramref name="maxInFlight"/> calls be unanswered before requests wait.</summary>
    /// <param name="maxInFlight">Calls that may be unanswered at once before requests wait to be batched; at least 1.</param>
    /// <param name="instruments">Where each call is counted (<c>latchkey.backend.calls</c>, <c>latchkey.backend.requests</c>).</param>
    protected RequestBatcher(int maxInFlight, BackendInstruments instruments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        ArgumentNullException.ThrowIfNull(instruments);
        _maxInFlight = maxInFlight;
        _instruments = instruments;
    }

    /// <summary>Whether requests may wait to share a call at all (false: every request goes alone).</summary>
    protected virtual bool Batching => true;

    /// <summary>
    /// Takes a slot for <paramref name="request"/> or queues it. <see langword="true"/>: the caller sends it alone
    /// now and must call <see cref="Done"/> once that call has ended, however it ended. <see langword="false"/>:
    /// it waits for a batch, whose sending completes it.
    /// </summary>
    protected bool SendsAlone(TRequest request)
    {
        lock (_gate)
        {
            if (_inFlight >= _maxInFlight && Batching)
            {
                _waiting.Add(request);
                return false;
            }

            _inFlight++;
        }

        _instruments.CallSent(1, batched: false);
        return true;
    }

    /// <summary>A call sent alone has ended: its slot goes to whatever waited meanwhile.</summary>
    protected void Done()
    {
        if (TakeWaiting() is { } next)
        {
            _ = SendBatchesAsync(next);
        }
    }

    /// <summary>
    /// Removes from <paramref name="waiting"/> (in arrival order, never empty) the requests of the next call and
    /// returns them: at least one. Called under the batcher's lock: no I/O, nothing slow.
    /// </summary>
    protected abstract List<TRequest> TakeBatch(List<TRequest> waiting);

    /// <summary>Sends <paramref name="batch"/> as one call and completes every request of it.</summary>
    protected abstract Task SendBatchAsync(List<TRequest> batch);

    /// <summary>Completes <paramref name="request"/> with <paramref name="exception"/> (see <see cref="ForEachCaller"/>).</summary>
    protected abstract void Fail(TRequest request, Exception exception);

    /// <summary>
    /// The exception to give one caller of a failed batch: a copy of Latchkey's own exceptions, one object per
    /// caller, since each caller's await adds its own stack to the object it throws.
    /// </summary>
    protected virtual Exception ForEachCaller(Exception exception) => exception switch
    {
        LockAuthenticationException refused => new LockAuthenticationException(refused.Message, refused),
        LockBackendUnavailableException unavailable => new LockBackendUnavailableException(unavailable.Message, unavailable),
        _ => exception,
    };

    /// <summary>Sends <paramref name="batch"/>, then whatever waited meanwhile, until nothing waits.</summary>
    private async Task SendBatchesAsync(List<TRequest> batch)
    {
        do
        {
            _instruments.CallSent(batch.Count, batched: true);
            try
            {
                await SendBatchAsync(batch).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Every caller of the batch must learn of the failure, whatever it is, or it hangs.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (var request in batch)
                {
                    Fail(request, ForEachCaller(ex));
                }
            }
        }
        while ((batch = TakeWaiting()!) is not null);
    }

    /// <summary>What waited, for the next call; or nothing, and the slot is free again.</summary>
    private List<TRequest>? TakeWaiting()
    {
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                _inFlight--;
                return null;
            }

            return TakeBatch(_waiting);
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Latchkey.Backend;

namespace Latchkey.Tests;

/// <summary>
/// What the <c>Latchkey</c> meter and activity source report for acquires, holds, losses and releases. Each
/// test's backend has a scheme of its own, so measurements of tests running beside it are told apart.
/// </summary>
public sealed class TelemetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAcquireAndARelease_AreMeasured_WithBackendKindAndOutcome()
    {
        var backend = new ScriptedBackend();
        using var recorder = new Recorder(backend.Scheme);
        await using var provider = new LockProvider(backend);

        var held = await provider.CreateLock("orders/42").AcquireAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(1, recorder.Sum("latchkey.lock.held"));
        await held.ReleaseAsync();

        var acquire = Assert.Single(recorder.Measurements("latchkey.lock.acquire.duration"));
        Assert.Equal("acquired", acquire.Tags["latchkey.outcome"]);
        Assert.Equal("lock", acquire.Tags["latchkey.lock.kind"]);
        Assert.False(acquire.Tags.ContainsKey("latchkey.lock.name")); // names only when opted in
        Assert.Single(recorder.Measurements("latchkey.lock.hold.duration"));
        Assert.Equal(0, recorder.Sum("latchkey.lock.held"));
        Assert.Equal(0, recorder.Sum("latchkey.lock.lost"));
    }

    [Fact]
    public async Task ATakenLock_IsATimeout_ACancelledWait_Cancelled_AFailure_Failed()
    {
        var backend = new ScriptedBackend();
        using var recorder = new Recorder(backend.Scheme);
        await using var provider = new LockProvider(backend);

        backend.Next = Scripted.Taken;
        Assert.Null(await provider.CreateLock("a").TryAcquireAsync(cancellationToken: Ct));
        backend.Next = Scripted.Cancelled;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.CreateLock("a").AcquireAsync(cancellationToken: Ct).AsTask());
        backend.Next = Scripted.Unavailable;
        await Assert.ThrowsAsync<LockBackendUnavailableException>(() => provider.CreateLock("a").AcquireAsync(cancellationToken: Ct).AsTask());

        Assert.Equal(["timeout", "cancelled", "failed"], recorder.Measurements("latchkey.lock.acquire.duration").Select(m => m.Tags["latchkey.outcome"]));
        Assert.Equal(0, recorder.Sum("latchkey.lock.held"));
    }

    [Fact]
    public async Task ALostLock_IsCounted_AReleasedOneIsNot()
    {
        var backend = new ScriptedBackend();
        using var recorder = new Recorder(backend.Scheme);
        await using var provider = new LockProvider(backend);

        var lost = await provider.CreateLock("lost").AcquireAsync(cancellationToken: Ct);
        var released = await provider.CreateLock("released").AcquireAsync(cancellationToken: Ct);
        await released.ReleaseAsync();
        await backend.LoseAllAsync();

        Assert.Equal(1, recorder.Sum("latchkey.lock.lost"));
        await lost.DisposeAsync();
    }

    [Fact]
    public async Task Names_AreRecordedInMetrics_OnlyWhenOptedIn()
    {
        var backend = new ScriptedBackend();
        using var recorder = new Recorder(backend.Scheme);
        await using var provider = new LockProvider(backend, new LockProviderOptions { RecordLockNamesInMetrics = true });
        await (await provider.CreateLock("orders/42").AcquireAsync(cancellationToken: Ct)).ReleaseAsync();
        Assert.Equal("orders/42", Assert.Single(recorder.Measurements("latchkey.lock.acquire.duration")).Tags["latchkey.lock.name"]);
    }

    [Fact]
    public async Task AnAcquire_IsASpan_WithItsNameOutcomeAndToken()
    {
        var backend = new ScriptedBackend();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Latchkey",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if ((string?)a.GetTagItem("latchkey.backend") == backend.Scheme)
                {
                    spans.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var provider = new LockProvider(backend);

        var held = await provider.CreateLock("orders/42").AcquireAsync(cancellationToken: Ct);
        await held.ReleaseAsync();

        var acquire = Assert.Single(spans, s => s.OperationName == "latchkey.acquire");
        Assert.Equal("orders/42", acquire.GetTagItem("latchkey.lock.name"));
        Assert.Equal("acquired", acquire.GetTagItem("latchkey.outcome"));
        Assert.Equal(held.FencingToken, acquire.GetTagItem("latchkey.fencing_token"));
        Assert.Single(spans, s => s.OperationName == "latchkey.release");
    }

    private enum Scripted
    {
        Granted,
        Taken,
        Cancelled,
        Unavailable,
    }

    /// <summary>A backend that does what the test scripts, under a scheme of its own.</summary>
    private sealed class ScriptedBackend : LockBackend
    {
        private readonly ConcurrentBag<CancellationTokenSource> _losses = [];
        private long _token;

        public string Scheme { get; } = $"telemetry-{Guid.NewGuid():N}";

        public Scripted Next { get; set; }

        public override LockProviderCapabilities Capabilities => new()
        {
            Backend = Scheme, Fair = false, HerdFree = false, DurableFencingTokens = false, CrossMachine = false, CrossProcess = false, Leases = true,
        };

        public override ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken)
        {
            switch (Next)
            {
                case Scripted.Taken:
                    return new((LockAcquisition?)null);
                case Scripted.Cancelled:
                    return ValueTask.FromException<LockAcquisition?>(new OperationCanceledException());
                case Scripted.Unavailable:
                    return ValueTask.FromException<LockAcquisition?>(new LockBackendUnavailableException("The server did not answer."));
                default:
                    var loss = new CancellationTokenSource();
                    _losses.Add(loss);
                    return new(new Acquired(Interlocked.Increment(ref _token), loss.Token));
            }
        }

        public async Task LoseAllAsync()
        {
            foreach (var loss in _losses)
            {
                await loss.CancelAsync();
            }
        }

        public override ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public override IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public override ValueTask DisposeAsync() => default;

        private sealed class Acquired(long token, CancellationToken lost) : LockAcquisition
        {
            public override long FencingToken => token;

            public override CancellationToken Lost => lost;

            public override ValueTask ReleaseAsync() => default;
        }
    }

    /// <summary>Records the <c>Latchkey</c> meter's measurements of one backend scheme.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();

        public Recorder(string scheme)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Latchkey")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(scheme, i, v, t));
            _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(scheme, i, v, t));
            _listener.Start();
        }

        public IEnumerable<(double Value, Dictionary<string, object?> Tags)> Measurements(string instrument) =>
            _measurements.Where(m => m.Instrument == instrument).Select(m => (m.Value, m.Tags));

        public double Sum(string instrument) => Measurements(instrument).Sum(m => m.Value);

        public void Dispose() => _listener.Dispose();

        private void Record(string scheme, Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            if (copy.TryGetValue("latchkey.backend", out var backend) && (string?)backend == scheme)
            {
                _measurements.Enqueue((instrument.Name, value, copy));
            }
        }
    }
}

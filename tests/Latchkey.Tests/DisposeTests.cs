using Latchkey.Backend;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.Tests;

/// <summary>Disposing never throws: not a handle whose release fails, not a provider, not a container disposed synchronously.</summary>
public sealed class DisposeTests
{
    [Fact]
    public async Task DisposingAHandle_WhoseReleaseFails_DoesNotThrow_ButReleaseAsyncStillReports()
    {
        await using var provider = new LockProvider(new UnconfirmedReleaseBackend());
        var disposed = await provider.CreateLock("a").AcquireAsync(cancellationToken: TestContext.Current.CancellationToken);
        await disposed.DisposeAsync();

        var released = await provider.CreateLock("b").AcquireAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<LockBackendUnavailableException>(() => released.ReleaseAsync().AsTask());
    }

    [Fact]
    public async Task AFailedReleaseOnDispose_IsCounted()
    {
        using var failures = new GlobalCounter("latchkey.lock.release.failures");
        await using var provider = new LockProvider(new UnconfirmedReleaseBackend());
        await (await provider.CreateLock("c").AcquireAsync(cancellationToken: TestContext.Current.CancellationToken)).DisposeAsync();
        Assert.True(failures.Value >= 1);
    }

    [Fact]
    public async Task AProviderWhoseBackendFailsToDispose_DisposesWithoutThrowing()
    {
        var provider = new LockProvider(new UnconfirmedReleaseBackend { FailDispose = true });
        await provider.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => provider.CreateLock("d").TryAcquireAsync(cancellationToken: TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task AContainerDisposedSynchronously_DisposesItsProvider()
    {
        ILockProvider resolved;
        using (var services = new ServiceCollection().AddLatchkey("memory://dispose-sync").BuildServiceProvider())
        {
            resolved = services.GetRequiredService<ILockProvider>();
            await using var held = await resolved.CreateLock("e").AcquireAsync(cancellationToken: TestContext.Current.CancellationToken);
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(() => resolved.CreateLock("e").TryAcquireAsync(cancellationToken: TestContext.Current.CancellationToken).AsTask());
    }

    /// <summary>A backend whose every release fails as a release to an unanswering server does.</summary>
    private sealed class UnconfirmedReleaseBackend : LockBackend
    {
        private long _token;

        public bool FailDispose { get; init; }

        public override LockProviderCapabilities Capabilities { get; } = new() { Backend = "test", Fair = false, HerdFree = false, DurableFencingTokens = false, CrossMachine = false, CrossProcess = false, Leases = true };

        public override ValueTask<LockAcquisition?> AcquireAsync(LockRequest request, CancellationToken cancellationToken) =>
            new(new Unconfirmed(Interlocked.Increment(ref _token)));

        public override ValueTask<LockStatus> GetStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public override IAsyncEnumerable<LockStatus> WatchStatusAsync(LockKind kind, string name, string escapedName, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public override ValueTask DisposeAsync() =>
            FailDispose ? ValueTask.FromException(new LockBackendUnavailableException("The server did not answer.")) : default;

        private sealed class Unconfirmed(long token) : LockAcquisition
        {
            public override long FencingToken => token;

            public override CancellationToken Lost => CancellationToken.None;

            public override ValueTask ReleaseAsync() =>
                ValueTask.FromException(new LockBackendUnavailableException("The release could not be confirmed; the lock frees itself when its TTL runs out."));
        }
    }

    /// <summary>Sums a counter of the process-wide <c>Latchkey</c> meter (other tests may add to it too: only a lower bound holds).</summary>
    private sealed class GlobalCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private long _value;

        public GlobalCounter(string instrument)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == "Latchkey" && i.Name == instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, m, _, _) => Interlocked.Add(ref _value, m));
            _listener.Start();
        }

        public long Value => Interlocked.Read(ref _value);

        public void Dispose() => _listener.Dispose();
    }
}

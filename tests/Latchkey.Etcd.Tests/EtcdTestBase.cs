using System.Diagnostics;

namespace Latchkey.Etcd.Tests;

/// <summary>What the etcd test classes share: a key prefix of their own, providers disposed after each test, bounded waits.</summary>
public abstract class EtcdTestBase : IAsyncLifetime
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly List<ILockProvider> _providers = [];

    protected string Prefix { get; } = EtcdProbe.NewPrefix();

    internal EtcdProbe Probe { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        Probe = new EtcdProbe();
        return default;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        Probe?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A provider on this test's prefix, disposed after the test.</summary>
    protected ILockProvider Provider(int ttlSeconds = 5, string hostPort = "") =>
        Track(LockProvider.Connect(Probe.For(Prefix, ttlSeconds, hostPort)));

    /// <summary>Disposes <paramref name="provider"/> after the test.</summary>
    protected ILockProvider Track(ILockProvider provider)
    {
        _providers.Add(provider);
        return provider;
    }

    /// <summary>Waits, bounded by <see cref="Patience"/>, until <paramref name="count"/> waiters queue on a primitive.</summary>
    protected static Task WaitForWaitersAsync(ILockProvider provider, LockKind kind, string name, int count) =>
        Conformance.Polling.UntilAsync(async () => (await provider.GetStatusAsync(kind, name, Ct)).Waiters.Count >= count, $"{count} waiters to queue on '{name}'", Patience, Ct);
}

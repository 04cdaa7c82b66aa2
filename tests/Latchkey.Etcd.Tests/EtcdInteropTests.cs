using System.Diagnostics;

namespace Latchkey.Etcd.Tests;

/// <summary>
/// With <c>layout=etcd</c>, a Latchkey lock and etcd's own Go mutex (<c>etcdctl lock</c>) of the same name
/// queue on the same keys and exclude each other, both ways.
/// </summary>
public sealed class EtcdInteropTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _prefix = EtcdProbe.NewPrefix();
    private EtcdProbe _probe = null!;
    private ILockProvider _provider = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _probe = new EtcdProbe();
        _provider = LockProvider.Connect($"etcd://{_probe.HostPort}?prefix={_prefix}&layout=etcd&ttl=5s");
        return default;
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        _probe.Dispose();
    }

    [Fact]
    public async Task LockHeldByEtcdctl_ExcludesLatchkey_UntilItsSessionEnds()
    {
        using var etcdctl = StartEtcdctl("held");
        var key = await etcdctl.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(Patience, Ct);
        Assert.StartsWith($"{_prefix}/held/", key, StringComparison.Ordinal);
        try
        {
            var theLock = _provider.CreateLock("held");
            Assert.Null(await theLock.TryAcquireAsync(cancellationToken: Ct));
            var waiting = theLock.AcquireAsync(Patience, Ct).AsTask();
            await WaitForAsync(s => s.Waiters.Count == 1 && s.Holders.Count == 1, "held");
            Assert.False(waiting.IsCompleted);

            // End etcdctl's session the way its lease would end if it died: revoke it.
            var goKey = Assert.Single(await _probe.ListAsync(_prefix), k => k.Key.ToStringUtf8() == key);
            await _probe.RevokeAsync(goKey.Lease);
            await using var handle = await waiting.WaitAsync(Patience, Ct);
            Assert.True(handle.FencingToken > goKey.CreateRevision);
        }
        finally
        {
            etcdctl.Kill();
        }
    }

    [Fact]
    public async Task LockHeldByLatchkey_ExcludesEtcdctl_UntilReleased()
    {
        var held = await _provider.CreateLock("ours").AcquireAsync(Patience, Ct);
        using var etcdctl = StartEtcdctl("ours", "echo", "etcdctl-got-it");
        try
        {
            await WaitForAsync(s => s.Waiters.Count == 1, "ours");
            Assert.False(etcdctl.HasExited, "etcdctl got the lock while Latchkey held it.");
            await held.ReleaseAsync();
            var output = await etcdctl.StandardOutput.ReadToEndAsync(Ct).WaitAsync(Patience, Ct);
            await etcdctl.WaitForExitAsync(Ct).WaitAsync(Patience, Ct);
            Assert.Contains("etcdctl-got-it", output, StringComparison.Ordinal);
            Assert.Equal(0, etcdctl.ExitCode);
        }
        finally
        {
            if (!etcdctl.HasExited)
            {
                etcdctl.Kill();
            }
        }
    }

    private Process StartEtcdctl(string name, params string[] command)
    {
        var start = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ETCDCTL_API"] = "3";
        foreach (var arg in new[] { "--endpoints", _probe.HostPort, "lock", $"{_prefix}/{name}" }.Concat(command))
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            return Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("etcdctl is not installed (Debian's etcd-client).");
            throw;
        }
    }

    private async Task WaitForAsync(Func<LockStatus, bool> condition, string name)
    {
        var clock = Stopwatch.StartNew();
        while (!condition(await _provider.GetStatusAsync(LockKind.Lock, name, Ct)))
        {
            Assert.True(clock.Elapsed < Patience, $"'{name}' did not reach the expected state within {Patience}.");
            await Task.Delay(5, Ct);
        }
    }
}

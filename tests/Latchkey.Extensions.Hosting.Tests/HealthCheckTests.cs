using Latchkey.Conformance;
using Latchkey.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Latchkey.Extensions.Hosting.Tests;

/// <summary>The health check reports whether the backend answers, on a real etcd and through a cut link.</summary>
public sealed class HealthCheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAnsweringBackend_IsHealthy_ACutOffOne_UnhealthyWithinTheTimeout()
    {
        var etcd = TestServers.Require("LATCHKEY_ETCD");
        await using var proxy = new LoopbackProxy(LoopbackProxy.ParseHostPort(new Uri(etcd).Authority));
        var services = new ServiceCollection().AddLogging();
        services.AddLatchkey($"etcd://{proxy.Address}");
        services.AddHealthChecks().AddLatchkey(timeout: TimeSpan.FromSeconds(1));
        await using var container = services.BuildServiceProvider();
        var health = container.GetRequiredService<HealthCheckService>();

        var report = await health.CheckHealthAsync(Ct);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal("etcd", report.Entries["latchkey"].Data["backend"]);

        proxy.Blackhole();
        report = await health.CheckHealthAsync(Ct);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
    }
}

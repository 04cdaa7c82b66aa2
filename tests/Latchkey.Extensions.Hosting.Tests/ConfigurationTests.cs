using Latchkey.Extensions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Latchkey.Extensions.Hosting.Tests;

/// <summary>A provider bound from configuration: checked when the host starts, with the bad key named.</summary>
public sealed class ConfigurationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection, IConfiguration> register)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        register(builder.Services, builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task AMissingConnectionString_StopsStartUp_NamingTheKey()
    {
        using var host = Build([], (s, c) => s.AddLatchkey(c.GetSection("Latchkey")));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
        Assert.Contains("Latchkey:ConnectionString is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMalformedConnectionString_StopsStartUp_NamingTheKeyAndTheFault()
    {
        using var host = Build(new() { ["Locks:Orders:ConnectionString"] = "etcd://" }, (s, c) => s.AddKeyedLatchkey("orders", c.GetSection("Locks:Orders")));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
        Assert.Contains("Locks:Orders:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASettingGivenTwice_StopsStartUp()
    {
        using var host = Build(
            new() { ["Latchkey:ConnectionString"] = "memory://twice?x=1", ["Latchkey:Settings:x"] = "2" },
            (s, c) => s.AddLatchkey(c.GetSection("Latchkey")));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
        Assert.Contains("Latchkey:Settings:x is also set in Latchkey:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASettingTheBackendDoesNotKnow_StopsStartUp()
    {
        using var host = Build(
            new() { ["Latchkey:ConnectionString"] = "memory://bound", ["Latchkey:Settings:ttl"] = "10s" },
            (s, c) => s.AddLatchkey(c.GetSection("Latchkey")));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
        Assert.Contains("Unknown connection string parameter 'ttl' for 'memory://'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABoundProvider_Works_AndItsSettingsJoinTheConnectionString()
    {
        var etcd = Conformance.TestServers.Require("LATCHKEY_ETCD");
        using var host = Build(
            new() { ["Latchkey:ConnectionString"] = etcd, ["Latchkey:Settings:ttl"] = "5s" },
            (s, c) => s.AddLatchkey(c.GetSection("Latchkey")));
        await host.StartAsync(Ct);
        Assert.EndsWith("ttl=5s", host.Services.GetRequiredService<IOptionsMonitor<LatchkeyOptions>>().Get(Options.DefaultName).ToConnectionString(), StringComparison.Ordinal);
        var provider = host.Services.GetRequiredService<ILockProvider>();
        await using (var held = await provider.AcquireAsync($"bound-{Guid.NewGuid():N}", TimeSpan.FromSeconds(10), Ct))
        {
            Assert.True(held.FencingToken > 0);
        }

        await host.StopAsync(Ct);
    }
}

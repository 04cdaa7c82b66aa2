using Medallion.Threading;
using Microsoft.Extensions.DependencyInjection;

namespace Latchkey.DistributedLock.Tests;

/// <summary>What a framework that resolves DistributedLock.Core's providers from the container gets.</summary>
public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task AddLatchkeyDistributedLock_ResolvesEveryProviderInterfaceToOneBridgeOverTheLatchkeyProvider()
    {
        var services = new ServiceCollection();
        services.AddLatchkey($"memory://di-{Guid.NewGuid():N}");
        services.AddLatchkeyDistributedLock();
        await using var container = services.BuildServiceProvider();

        var locks = container.GetRequiredService<IDistributedLockProvider>();
        Assert.Same(locks, container.GetRequiredService<IDistributedReaderWriterLockProvider>());
        Assert.Same(locks, container.GetRequiredService<IDistributedSemaphoreProvider>());
        Assert.Same(container.GetRequiredService<ILockProvider>(), ((LatchkeyDistributedLockProvider)locks).Provider);

        await using var held = await locks.AcquireLockAsync("job", cancellationToken: TestContext.Current.CancellationToken);
        var status = await container.GetRequiredService<ILockProvider>().GetStatusAsync(LockKind.Lock, "job", TestContext.Current.CancellationToken);
        Assert.Single(status.Holders);
    }

    [Fact]
    public void AddLatchkeyDistributedLock_KeepsAProviderRegisteredBefore()
    {
        var mine = new LatchkeyDistributedLockProvider(LockProvider.Connect($"memory://di-{Guid.NewGuid():N}"));
        var services = new ServiceCollection();
        services.AddSingleton<IDistributedLockProvider>(mine);
        services.AddLatchkeyDistributedLock();
        Assert.Single(services, d => d.ServiceType == typeof(IDistributedLockProvider));
    }
}

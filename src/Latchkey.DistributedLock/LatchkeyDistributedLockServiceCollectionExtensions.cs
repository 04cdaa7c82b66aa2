using Medallion.Threading;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latchkey.DistributedLock;

/// <summary>Registers the bridge in a container, for frameworks that resolve DistributedLock.Core's providers (ABP, for one).</summary>
public static class LatchkeyDistributedLockServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="LatchkeyDistributedLockProvider"/> over the container's <see cref="ILockProvider"/>
    /// (from <c>AddLatchkey</c>) as <see cref="IDistributedLockProvider"/>, <see cref="IDistributedReaderWriterLockProvider"/>
    /// and <see cref="IDistributedSemaphoreProvider"/>. Registrations already present are kept.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="options">Options of every primitive the bridge creates; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">The options are invalid.</exception>
    public static IServiceCollection AddLatchkeyDistributedLock(this IServiceCollection services, LockOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        options?.Validate();
        services.TryAddSingleton(sp => new LatchkeyDistributedLockProvider(sp.GetRequiredService<ILockProvider>(), options));
        services.TryAddSingleton<IDistributedLockProvider>(sp => sp.GetRequiredService<LatchkeyDistributedLockProvider>());
        services.TryAddSingleton<IDistributedReaderWriterLockProvider>(sp => sp.GetRequiredService<LatchkeyDistributedLockProvider>());
        services.TryAddSingleton<IDistributedSemaphoreProvider>(sp => sp.GetRequiredService<LatchkeyDistributedLockProvider>());
        return services;
    }
}

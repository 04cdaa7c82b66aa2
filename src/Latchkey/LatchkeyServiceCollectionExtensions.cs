using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey;

/// <summary>Registers Latchkey with Microsoft.Extensions.DependencyInjection.</summary>
/// <remarks>
/// Binding from <c>IConfiguration</c>, leader-elected hosted services and health checks are in the
/// <c>Latchkey.Extensions.Hosting</c> package.
/// </remarks>
public static class LatchkeyServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="ILockProvider"/> for <paramref name="connectionString"/> as a singleton,
    /// using the container's <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/> when it has them.
    /// The connection string is parsed now, so a malformed one fails at start-up. The container disposes
    /// the provider, synchronously or not.
    /// </summary>
    /// <exception cref="FormatException">The connection string is malformed.</exception>
    /// <exception cref="InvalidOperationException">An unkeyed <see cref="ILockProvider"/> is registered already: use <see cref="AddKeyedLatchkey(IServiceCollection, object, string)"/> for a second one.</exception>
    public static IServiceCollection AddLatchkey(this IServiceCollection services, string connectionString)
    {
        _ = LockConnectionString.Parse(connectionString);
        return services.AddLatchkey(_ => connectionString);
    }

    /// <summary>
    /// Registers one <see cref="ILockProvider"/> as a singleton whose connection string comes from the
    /// container when the provider is first resolved (from options, a secret store, …).
    /// </summary>
    /// <exception cref="InvalidOperationException">An unkeyed <see cref="ILockProvider"/> is registered already: use <see cref="AddKeyedLatchkey(IServiceCollection, object, Func{IServiceProvider, string})"/> for a second one.</exception>
    public static IServiceCollection AddLatchkey(this IServiceCollection services, Func<IServiceProvider, string> connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(connectionString);
        if (services.Any(d => d.ServiceType == typeof(ILockProvider) && !d.IsKeyedService))
        {
            throw new InvalidOperationException(
                "An ILockProvider is registered already; a second AddLatchkey would be ignored or replace it. " +
                "Register further providers with AddKeyedLatchkey(key, connectionString).");
        }

        services.AddSingleton(sp => Connect(sp, connectionString(sp)));
        return services;
    }

    /// <summary>
    /// Registers an <see cref="ILockProvider"/> for <paramref name="connectionString"/> under
    /// <paramref name="serviceKey"/> (resolve it with <c>[FromKeyedServices(key)]</c> or
    /// <c>GetRequiredKeyedService&lt;ILockProvider&gt;(key)</c>), for an app that needs more than one backend.
    /// </summary>
    /// <exception cref="FormatException">The connection string is malformed.</exception>
    /// <exception cref="InvalidOperationException">A provider is registered under this key already.</exception>
    public static IServiceCollection AddKeyedLatchkey(this IServiceCollection services, object serviceKey, string connectionString)
    {
        _ = LockConnectionString.Parse(connectionString);
        return services.AddKeyedLatchkey(serviceKey, _ => connectionString);
    }

    /// <summary>Registers an <see cref="ILockProvider"/> under <paramref name="serviceKey"/> whose connection string comes from the container.</summary>
    /// <exception cref="InvalidOperationException">A provider is registered under this key already.</exception>
    public static IServiceCollection AddKeyedLatchkey(this IServiceCollection services, object serviceKey, Func<IServiceProvider, string> connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(connectionString);
        if (services.Any(d => d.ServiceType == typeof(ILockProvider) && d.IsKeyedService && Equals(d.ServiceKey, serviceKey)))
        {
            throw new InvalidOperationException($"An ILockProvider is registered already under the key '{serviceKey}'.");
        }

        services.AddKeyedSingleton(serviceKey, (sp, _) => Connect(sp, connectionString(sp)));
        return services;
    }

    private static ILockProvider Connect(IServiceProvider services, string connectionString) =>
        LockProvider.Connect(connectionString, new LockProviderOptions
        {
            LoggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
        });
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey;

/// <summary>Registers Latchkey with Microsoft.Extensions.DependencyInjection.</summary>
public static class LatchkeyServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="ILockProvider"/> for <paramref name="connectionString"/> as a singleton,
    /// using the container's <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/> when it has them.
    /// The connection string is parsed now, so a malformed one fails at start-up.
    /// </summary>
    /// <exception cref="FormatException">The connection string is malformed.</exception>
    public static IServiceCollection AddLatchkey(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        _ = LockConnectionString.Parse(connectionString);
        services.TryAddSingleton<ILockProvider>(sp => LockProvider.Connect(connectionString, new LockProviderOptions
        {
            LoggerFactory = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            TimeProvider = sp.GetService<TimeProvider>() ?? TimeProvider.System,
        }));
        return services;
    }
}

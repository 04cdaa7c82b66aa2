using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Latchkey.Extensions.Hosting;

/// <summary>Adds a health check of the lock backend.</summary>
public static class LatchkeyHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that the lock backend answers (a status read of a probe lock, nothing written) within
    /// <paramref name="timeout"/> (default 2 s).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="providerKey">The key of a keyed provider; <see langword="null"/> for the unkeyed one.</param>
    /// <param name="timeout">How long the backend may take to answer.</param>
    /// <param name="failureStatus">The status reported when it does not; <see langword="null"/> for unhealthy.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    public static IHealthChecksBuilder AddLatchkey(
        this IHealthChecksBuilder builder,
        string name = "latchkey",
        object? providerKey = null,
        TimeSpan? timeout = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var limit = timeout ?? TimeSpan.FromSeconds(2);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero, nameof(timeout));
        return builder.Add(new HealthCheckRegistration(name, sp => new LatchkeyHealthCheck(sp, providerKey, limit), failureStatus, tags));
    }
}

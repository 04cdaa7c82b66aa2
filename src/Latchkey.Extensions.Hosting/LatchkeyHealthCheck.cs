using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Latchkey.Extensions.Hosting;

/// <summary>
/// Reports whether the lock backend answers: it reads the status of a probe lock (one round trip, nothing
/// written) within the check's time. Unhealthy when the backend cannot be reached or does not answer in time.
/// </summary>
internal sealed class LatchkeyHealthCheck(IServiceProvider services, object? providerKey, TimeSpan timeout) : IHealthCheck
{
    private const string ProbeName = "latchkey-health-probe";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var provider = providerKey is null ? services.GetRequiredService<ILockProvider>() : services.GetRequiredKeyedService<ILockProvider>(providerKey);
        var data = new Dictionary<string, object> { ["backend"] = provider.Capabilities.Backend };
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await provider.GetStatusAsync(LockKind.Lock, ProbeName, bounded.Token).ConfigureAwait(false);
            data["latency_ms"] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return HealthCheckResult.Healthy($"The {provider.Capabilities.Backend}:// backend answers.", data);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The {provider.Capabilities.Backend}:// backend did not answer within {timeout.TotalSeconds:0.###} s.", data: data);
        }
        catch (LockBackendUnavailableException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The {provider.Capabilities.Backend}:// backend cannot be reached.", ex, data);
        }
    }
}

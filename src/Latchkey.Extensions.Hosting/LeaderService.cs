using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Latchkey.Extensions.Hosting;

/// <summary>
/// Campaigns for <paramref name="electionName"/>, runs <typeparamref name="TService"/> while this instance leads,
/// cancels it the moment leadership is lost, and campaigns again; on a graceful stop it resigns, so the next
/// instance takes over at once instead of after the lease's TTL.
/// </summary>
internal sealed partial class LeaderService<TService>(
    IServiceProvider services, string electionName, LeaderServiceOptions options, TimeProvider time, ILogger<LeaderService<TService>> logger)
    : BackgroundService
    where TService : class, ILeaderService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var provider = options.ProviderKey is null
            ? services.GetRequiredService<ILockProvider>()
            : services.GetRequiredKeyedService<ILockProvider>(options.ProviderKey);
        var election = provider.CreateElection(electionName, options.LockOptions);
        var value = options.Value ?? $"{Environment.MachineName}/{Environment.ProcessId}";
        while (!stoppingToken.IsCancellationRequested)
        {
            ILeadership leadership;
            try
            {
                leadership = await election.CampaignAsync(value, timeout: null, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (LockBackendUnavailableException ex)
            {
                LogCampaignFailed(logger, electionName, ex);
                await DelayAsync(stoppingToken).ConfigureAwait(false);
                continue;
            }

            // Disposing resigns (and never throws): on a graceful stop the next instance leads at once.
            await using (leadership.ConfigureAwait(false))
            {
                LogLeading(logger, electionName, leadership.FencingToken);
                if (!await RunAsLeaderAsync(leadership, stoppingToken).ConfigureAwait(false))
                {
                    await DelayAsync(stoppingToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Runs the service until it returns, fails, or leadership is lost; false when it failed.</summary>
    private async Task<bool> RunAsLeaderAsync(ILeadership leadership, CancellationToken stoppingToken)
    {
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, leadership.Lost);
        var scope = services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            try
            {
                await scope.ServiceProvider.GetRequiredService<TService>().RunAsLeaderAsync(leadership, leading.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                if (leadership.Lost.IsCancellationRequested)
                {
                    LogLeadershipLost(logger, electionName, leadership.FencingToken);
                }

                return true;
            }
#pragma warning disable CA1031 // A failing leader service must not stop the host's campaign: it is logged and retried.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogServiceFailed(logger, electionName, ex);
                return false;
            }
        }
    }

    private async Task DelayAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(options.RetryDelay, time, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Leading election '{Election}' (token {FencingToken}).")]
    private static partial void LogLeading(ILogger logger, string election, long fencingToken);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Leadership of election '{Election}' (token {FencingToken}) was lost; the leader service was cancelled.")]
    private static partial void LogLeadershipLost(ILogger logger, string election, long fencingToken);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Campaigning in election '{Election}' failed: the backend could not be reached. Trying again.")]
    private static partial void LogCampaignFailed(ILogger logger, string election, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "The leader service of election '{Election}' failed; resigning and campaigning again.")]
    private static partial void LogServiceFailed(ILogger logger, string election, Exception exception);
}

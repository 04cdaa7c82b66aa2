using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace Latchkey.Samples.WorkerService;

/// <summary>
/// Job loops: each picks a job, takes the job's lock (waiting at most 250 ms), does the work with the lock's
/// fencing token, and lets go. A job never runs twice at once, in this process or any other on the same backend.
/// </summary>
internal sealed partial class JobRunner(ILockProvider locks, IOptions<SampleOptions> options, ILogger<JobRunner> logger) : BackgroundService
{
    public const string ActivitySourceName = "Latchkey.Samples.WorkerService";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var jobs = options.Value.Jobs.Count > 0 ? options.Value.Jobs : ["reports/daily"];
        return Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.Value.Workers)).Select(worker => RunLoopAsync(worker, jobs, stoppingToken)));
    }

    private async Task RunLoopAsync(int worker, List<string> jobs, CancellationToken stoppingToken)
    {
        try
        {
            for (var round = 0; !stoppingToken.IsCancellationRequested; round++)
            {
                var job = jobs[(worker + round) % jobs.Count];
                using var activity = Source.StartActivity($"job {job}");
                await using var held = await locks.TryAcquireAsync(job, TimeSpan.FromMilliseconds(250), stoppingToken);
                if (held is null)
                {
                    LogBusy(worker, job);
                    activity?.SetTag("job.outcome", "busy");
                }
                else
                {
                    // Pass the token to what the job writes, and stop if the lock is lost (a backend's lease ran out).
                    using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, held.Lost);
                    LogRunning(worker, job, held.FencingToken);
                    await Task.Delay(TimeSpan.FromMilliseconds(300 + Random.Shared.Next(400)), work.Token);
                    activity?.SetTag("job.outcome", "done");
                    activity?.SetTag("job.fencing_token", held.FencingToken);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Worker {Worker} runs {Job} with fencing token {Token}.")]
    private partial void LogRunning(int worker, string job, long token);

    [LoggerMessage(2, LogLevel.Information, "Worker {Worker}: {Job} is running elsewhere; skipped.")]
    private partial void LogBusy(int worker, string job);
}

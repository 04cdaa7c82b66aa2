using Latchkey.Extensions.Hosting;

namespace Latchkey.Samples.WorkerService;

/// <summary>
/// Runs on one instance at a time: the leader of the election "sample/scheduler". Another instance takes over when
/// this one stops (it resigns) or dies (its lease runs out).
/// </summary>
internal sealed partial class ReportScheduler(ILogger<ReportScheduler> logger) : ILeaderService
{
    public async Task RunAsLeaderAsync(ILeadership leadership, CancellationToken leadershipLost)
    {
        LogLeading(leadership.FencingToken);
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), leadershipLost);
                LogScheduling(leadership.FencingToken);
            }
        }
        catch (OperationCanceledException) when (leadershipLost.IsCancellationRequested)
        {
            LogNoLongerLeading(leadership.FencingToken);
        }
    }

    [LoggerMessage(10, LogLevel.Information, "Leading the scheduler, term {Term}.")]
    private partial void LogLeading(long term);

    [LoggerMessage(11, LogLevel.Information, "Scheduler (term {Term}) schedules the next reports.")]
    private partial void LogScheduling(long term);

    [LoggerMessage(12, LogLevel.Information, "Scheduler term {Term} ended.")]
    private partial void LogNoLongerLeading(long term);
}

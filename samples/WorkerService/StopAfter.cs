using Microsoft.Extensions.Options;

namespace Latchkey.Samples.WorkerService;

/// <summary>Stops the host after <see cref="SampleOptions.RunFor"/>, if set (for a demo that ends by itself).</summary>
internal sealed class StopAfter(IOptions<SampleOptions> options, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.RunFor is { } runFor)
        {
            await Task.Delay(runFor, stoppingToken);
            lifetime.StopApplication();
        }
    }
}

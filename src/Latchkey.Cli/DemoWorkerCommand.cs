using System.Globalization;

namespace Latchkey.Cli;

/// <summary>The hidden <c>demo-worker</c> command: a demo worker in its own process, reporting on standard output.</summary>
internal sealed class DemoWorkerCommand
{
    public static async Task<int> ExecuteAsync(DemoWorkerSettings settings, CancellationToken cancellationToken)
    {
        await using var provider = await Connections.OpenAsync(settings.ResolveBackend(), cancellationToken);
        var gate = new Lock();
        var worker = new DemoWorker(settings.Worker, provider.CreateLock(settings.Lock), settings.Journal, (kind, token) =>
        {
            lock (gate)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kind} {token}"));
                Console.Out.Flush();
            }
        });
        await worker.RunAsync(settings.Rounds, settings.Hold, settings.DieHolding, cancellationToken);
        return ExitCodes.Ok;
    }
}

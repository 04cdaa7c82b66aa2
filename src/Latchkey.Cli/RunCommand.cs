using System.Globalization;
using Spectre.Console;

namespace Latchkey.Cli;

/// <summary><c>latchkey run NAME -- COMMAND</c>: runs a command while holding a lock.</summary>
internal sealed class RunCommand(CliConsoles consoles)
{
    private static LockKind Kind(RunSettings settings) =>
        settings.Shared || settings.Exclusive ? LockKind.ReaderWriter : settings.Permits is not null ? LockKind.Semaphore : LockKind.Lock;

    public async Task<int> ExecuteAsync(RunSettings settings, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        if (command.Count == 0)
        {
            return Usage.Fail(consoles, "run needs a command after '--', as in: latchkey run NAME -- COMMAND [ARGS...]");
        }

        var (backend, ttl) = settings.ResolveBackendAndTtl();
        await using var provider = await Connections.OpenAsync(backend, cancellationToken);
        var options = new LockOptions { Ttl = ttl };
        var timeout = settings.NoWait ? TimeSpan.Zero : settings.Timeout ?? System.Threading.Timeout.InfiniteTimeSpan;
        ILockHandle? handle;
        await using (WaitLine.Start(settings.Quiet || timeout == TimeSpan.Zero ? null : consoles.Terminal, provider, Kind(settings), settings.Name))
        {
            handle = settings switch
            {
                { Shared: true } => await provider.CreateReaderWriterLock(settings.Name, options).TryAcquireReadAsync(timeout, cancellationToken),
                { Exclusive: true } => await provider.CreateReaderWriterLock(settings.Name, options).TryAcquireWriteAsync(timeout, cancellationToken),
                { Permits: { } permits } => await provider.CreateSemaphore(settings.Name, permits, options).TryAcquireAsync(timeout, cancellationToken),
                _ => await provider.CreateLock(settings.Name, options).TryAcquireAsync(timeout, cancellationToken),
            };
        }

        await using var held = handle;
        if (handle is null)
        {
            if (settings.NoWait)
            {
                consoles.Error.MarkupLineInterpolated($"[yellow]latchkey:[/] lock '{settings.Name}' is busy.");
            }
            else
            {
                consoles.Error.MarkupLineInterpolated($"[yellow]latchkey:[/] lock '{settings.Name}' was not acquired within {DurationConverter.Format(settings.Timeout!.Value)}.");
            }

            return settings.ConflictExitCode;
        }

        var environment = new Dictionary<string, string>
        {
            [EnvironmentNames.FencingToken] = handle.FencingToken.ToString(CultureInfo.InvariantCulture),
            [EnvironmentNames.LockName] = settings.Name,
        };
        return await ChildProcess.RunAsync([.. command], environment, consoles.Error, handle, cancellationToken);
    }
}

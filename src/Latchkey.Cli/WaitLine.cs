using System.Globalization;

namespace Latchkey.Cli;

/// <summary>
/// While <c>run</c> waits more than <see cref="Delay"/>, one status line on a terminal's standard error, rewritten in
/// place every second: who holds the lock, for how long, and how many wait. Cleared when the wait ends. Never
/// written to a pipe or a file, so cron mails and CI logs stay clean (issue 19 item 6).
/// </summary>
internal sealed class WaitLine : IAsyncDisposable
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly TextWriter _terminal;
    private bool _written;

    private WaitLine(TextWriter terminal, Func<CancellationToken, ValueTask<string>> describe)
    {
        _terminal = terminal;
        _loop = LoopAsync(describe, _stop.Token);
    }

    /// <summary>Starts the line if <paramref name="terminal"/> is not null (standard error is a terminal and not --quiet).</summary>
    public static WaitLine? Start(TextWriter? terminal, ILockProvider provider, LockKind kind, string name) =>
        terminal is null ? null : new WaitLine(terminal, async cancellationToken =>
            Describe(name, await provider.GetStatusAsync(kind, name, cancellationToken), DateTimeOffset.UtcNow));

    /// <summary>The line's text for a status read at <paramref name="now"/>.</summary>
    public static string Describe(string name, LockStatus status, DateTimeOffset now)
    {
        var holders = status.Holders.Count == 0
            ? "free a moment ago"
            : "held by " + string.Join(", ", status.Holders.Select(h =>
                h.Since is { } since ? $"{h.Value ?? h.Id} for {(now - since).TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s" : h.Value ?? h.Id));
        return $"latchkey: waiting for '{name}': {holders}; {status.Waiters.Count} waiting";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        if (_written)
        {
            await _terminal.WriteAsync("\r\u001b[K");
            await _terminal.FlushAsync();
        }
    }

    private async Task LoopAsync(Func<CancellationToken, ValueTask<string>> describe, CancellationToken stop)
    {
        try
        {
            await Task.Delay(Delay, stop);
            while (!stop.IsCancellationRequested)
            {
                string text;
                try
                {
                    text = await describe(stop);
                }
                catch (Exception ex) when (ex is LockBackendUnavailableException or NotSupportedException)
                {
                    text = "latchkey: waiting...";
                }

                await _terminal.WriteAsync("\r\u001b[K" + text);
                await _terminal.FlushAsync(stop);
                _written = true;
                await Task.Delay(Interval, stop);
            }
        }
        catch (OperationCanceledException)
        {
            // The wait ended.
        }
    }
}

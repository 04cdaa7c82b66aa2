using System.Diagnostics;
using Xunit;

namespace Latchkey.Conformance;

/// <summary>Waits for a condition that no event announces (a server-side state, a counter), bounded in time.</summary>
public static class Polling
{
    /// <summary>
    /// Checks <paramref name="condition"/> until it holds, backing off from 1 ms to 50 ms between checks; fails the
    /// test, naming <paramref name="what"/>, once <paramref name="patience"/> has passed.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan patience, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        var delay = 1;
        while (!await condition())
        {
            Assert.True(clock.Elapsed < patience, $"Gave up waiting for {what} after {patience}.");
            await Task.Delay(delay, cancellationToken);
            delay = Math.Min(delay * 2, 50);
        }
    }

    /// <inheritdoc cref="UntilAsync(Func{Task{bool}}, string, TimeSpan, CancellationToken)"/>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan patience, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(() => Task.FromResult(condition()), what, patience, cancellationToken);
    }
}

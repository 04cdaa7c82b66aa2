using System.Diagnostics;
using System.Globalization;
using Latchkey.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Latchkey.Bench.Scenarios;

/// <summary>
/// <c>held-locks</c>: what it costs to hold many locks at once. One provider takes <c>--count</c> locks of
/// different names and holds them all; the managed heap is read (after a full collection) before and while
/// they are held, on the backend and on <c>memory://</c>, whose figure is the core's own share (handles and
/// names). Was <c>EtcdHandOffBench.TenThousandHeldLocks_OneLease_Memory</c>, a skipped test.
/// </summary>
internal sealed class HeldLocksCommand(IAnsiConsole console) : AsyncCommand<HeldLocksSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, HeldLocksSettings settings, CancellationToken cancellationToken)
    {
        var backend = settings.ResolveBackend();
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{settings.Count:N0} locks held by one provider[/]");
        table.AddColumn("backend");
        table.AddColumn(new TableColumn("managed heap").RightAligned());
        table.AddColumn(new TableColumn("per held lock").RightAligned());
        table.AddColumn(new TableColumn("taken in").RightAligned());
        foreach (var uri in new[] { "memory://held-locks-" + Guid.NewGuid().ToString("N"), backend })
        {
            var (bytes, took) = await HoldAsync(uri, settings, cancellationToken);
            table.AddRow(
                Markup.Escape(uri.StartsWith("memory://", StringComparison.Ordinal) ? "memory:// (the core's share)" : uri),
                (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
                (bytes / (double)settings.Count).ToString("N0", CultureInfo.InvariantCulture) + " B",
                took.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s");
        }

        console.Write(table);
        return 0;
    }

    private static async Task<(long Bytes, TimeSpan Took)> HoldAsync(string uri, HeldLocksSettings settings, CancellationToken cancellationToken)
    {
        await using var provider = await Connections.OpenAsync(uri, cancellationToken);
        var prefix = "latchkey-held/" + Guid.NewGuid().ToString("N")[..12] + "/";
        await (await provider.CreateLock(prefix + "warm").AcquireAsync(cancellationToken: cancellationToken)).ReleaseAsync();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        var handles = new ILockHandle[settings.Count];
        using var gate = new SemaphoreSlim(settings.InFlight);
        await Task.WhenAll(Enumerable.Range(0, handles.Length).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                handles[i] = await provider.CreateLock(prefix + i.ToString(CultureInfo.InvariantCulture)).AcquireAsync(cancellationToken: cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }));
        var took = clock.Elapsed;
        var bytes = GC.GetTotalMemory(forceFullCollection: true) - before;
        foreach (var handle in handles)
        {
            await handle.ReleaseAsync();
        }

        return (bytes, took);
    }
}

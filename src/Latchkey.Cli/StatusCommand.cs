using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Latchkey.Cli;

/// <summary><c>latchkey status NAME</c>: who holds a lock and who waits for it.</summary>
internal sealed class StatusCommand(CliConsoles consoles)
{
    public async Task<int> ExecuteAsync(StatusSettings settings, CancellationToken cancellationToken)
    {
        var backend = settings.ResolveBackend();
        await using var provider = await Connections.OpenAsync(backend, cancellationToken);
        var status = await provider.GetStatusAsync(settings.ParsedKind, settings.Name, cancellationToken);
        var now = DateTimeOffset.UtcNow;
        if (settings.Json)
        {
            var document = new StatusDocument(
                status.Kind.ToString(),
                status.Name,
                Secrets.Display(backend),
                status.IsHeld,
                [.. status.Holders.Select(p => Describe(p, now))],
                [.. status.Waiters.Select(p => Describe(p, now))]);
            consoles.Out.WriteLine(JsonSerializer.Serialize(document, CliJsonContext.Default.StatusDocument));
            return ExitCodes.Ok;
        }

        consoles.Out.MarkupLineInterpolated(
            $"{status.Kind} [bold]{status.Name}[/] on {Secrets.Display(backend)}: {(status.IsHeld ? $"held by {status.Holders.Count}" : "free")}, {status.Waiters.Count} waiting");
        if (status.Holders.Count + status.Waiters.Count == 0)
        {
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "role", "id", "access", "token / sequence", "value", "age" })
        {
            table.AddColumn(column);
        }

        foreach (var (role, participant) in status.Holders.Select(p => ("holder", p)).Concat(status.Waiters.Select(p => ("waiter", p))))
        {
            table.AddRow(
                Markup.Escape(role),
                Markup.Escape(participant.Id),
                participant.Access.ToString(),
                participant.Sequence?.ToString(CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(participant.Value ?? "-"),
                participant.Since is { } since ? Age(now - since) : "-");
        }

        consoles.Out.Write(table);
        return ExitCodes.Ok;
    }

    private static ParticipantDocument Describe(LockParticipant participant, DateTimeOffset now) => new(
        participant.Id,
        participant.Access.ToString(),
        participant.Sequence,
        participant.Value,
        participant.Since,
        participant.Since is { } since ? Math.Round((now - since).TotalSeconds, 3) : null);

    private static string Age(TimeSpan age) => age.TotalSeconds < 120
        ? age.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : age.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture);
}

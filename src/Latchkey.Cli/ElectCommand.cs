using System.Globalization;
using Spectre.Console;

namespace Latchkey.Cli;

/// <summary><c>latchkey elect NAME -- COMMAND</c>: campaigns, runs the command while leader, resigns after.</summary>
internal sealed class ElectCommand(CliConsoles consoles)
{
    public async Task<int> ExecuteAsync(ElectSettings settings, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        if (command.Count == 0)
        {
            return Usage.Fail(consoles, "elect needs a command after '--', as in: latchkey elect NAME -- COMMAND [ARGS...]");
        }

        var value = settings.Value ?? $"{Environment.MachineName}:{Environment.ProcessId}";
        var (backend, ttl) = settings.ResolveBackendAndTtl();
        await using var provider = await Connections.OpenAsync(backend, cancellationToken);
        var election = provider.CreateElection(settings.Name, new LockOptions { Ttl = ttl });
        consoles.Error.MarkupLineInterpolated($"[grey]latchkey: campaigning in '{settings.Name}' as '{value}'...[/]");
        ILeadership leadership;
        try
        {
            leadership = await election.CampaignAsync(value, settings.Timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            consoles.Error.MarkupLineInterpolated($"[yellow]latchkey:[/] not elected in '{settings.Name}' within {DurationConverter.Format(settings.Timeout!.Value)}.");
            return settings.ConflictExitCode;
        }

        await using (leadership)
        {
            consoles.Error.MarkupLineInterpolated($"[grey]latchkey: leader of '{settings.Name}', term {leadership.FencingToken}.[/]");
            var environment = new Dictionary<string, string>
            {
                [EnvironmentNames.FencingToken] = leadership.FencingToken.ToString(CultureInfo.InvariantCulture),
                [EnvironmentNames.LockName] = settings.Name,
                [EnvironmentNames.LeaderValue] = value,
            };
            return await ChildProcess.RunAsync([.. command], environment, consoles.Error, leadership, cancellationToken);
        }
    }
}

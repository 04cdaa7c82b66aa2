using System.Text.Json;

namespace Latchkey.Cli.Tests;

public sealed class StatusAndElectTests
{
    [Fact]
    public async Task Status_ShowsTheHolderAndItsToken()
    {
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        await using var handle = await provider.CreateLock("shown").AcquireAsync();

        var result = await Cli.RunAsync(["status", "shown", "--backend", backend]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("held by 1", result.Output);
        Assert.Contains(handle.FencingToken.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Output);
    }

    [Fact]
    public async Task Status_Json_ListsHoldersAndWaiters()
    {
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        await using var handle = await provider.CreateLock("queued").AcquireAsync();
        using var stopWaiting = new CancellationTokenSource();
        var waiter = provider.CreateLock("queued").AcquireAsync(cancellationToken: stopWaiting.Token).AsTask();
        await WaitForWaiterAsync(provider, "queued");

        var result = await Cli.RunAsync(["status", "queued", "--backend", backend, "--json"]);

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Output);
        Assert.True(json.RootElement.GetProperty("held").GetBoolean());
        Assert.Equal(handle.FencingToken, json.RootElement.GetProperty("holders")[0].GetProperty("token").GetInt64());
        Assert.Equal(1, json.RootElement.GetProperty("waiters").GetArrayLength());

        await stopWaiting.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
    }

    [Fact]
    public async Task Status_WithAnUnknownKind_IsAUsageError()
    {
        var result = await Cli.RunAsync(["status", "x", "--kind", "barrier", "--backend", Cli.NewMemoryBackend()]);

        Assert.Equal(64, result.ExitCode);
    }

    [Fact]
    public async Task Elect_RunsTheCommandAsLeader_WithItsTermAndValue_ThenResigns()
    {
        using var scratch = new Scratch();
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);

        var result = await Cli.RunAsync(["elect", "scheduler", "--value", "node-a", "--backend", backend, "--", "sh", "-c",
            $"printf '%s %s' \"$LATCHKEY_FENCING_TOKEN\" \"$LATCHKEY_LEADER_VALUE\" > '{scratch.File("env")}'; exit 3"]);

        Assert.Equal(3, result.ExitCode);
        var parts = (await File.ReadAllTextAsync(scratch.File("env"))).Split(' ');
        Assert.True(long.Parse(parts[0]) > 0);
        Assert.Equal("node-a", parts[1]);
        Assert.Null(await provider.CreateElection("scheduler").GetLeaderAsync());
    }

    [Fact]
    public async Task Elect_WithoutACommand_IsAUsageError()
    {
        var result = await Cli.RunAsync(["elect", "x", "--backend", Cli.NewMemoryBackend()]);

        Assert.Equal(64, result.ExitCode);
    }

    private static async Task WaitForWaiterAsync(ILockProvider provider, string name)
    {
        // The memory backend reports every change; wait for the waiter to show, at most 10 s.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var backend = ((LockProvider)provider).Backend;
        await foreach (var status in backend.WatchStatusAsync(LockKind.Lock, name, LockName.Escape(name), limit.Token))
        {
            if (status.Waiters.Count > 0)
            {
                return;
            }
        }
    }
}

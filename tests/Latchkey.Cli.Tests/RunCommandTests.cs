namespace Latchkey.Cli.Tests;

public sealed class RunCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    // The child waits (bounded, 30 s) until the test creates "go", after saying it started.
    private const string WaitForGo = "touch started; i=0; while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done";

    [Fact]
    public async Task Run_PassesTheCommandsExitCodeAndTheFencingToken()
    {
        using var scratch = new Scratch();
        var backend = Cli.NewMemoryBackend();

        var result = await Cli.RunAsync(["run", "jobs/nightly", "--backend", backend, "--", "sh", "-c",
            $"printf '%s %s' \"$LATCHKEY_FENCING_TOKEN\" \"$LATCHKEY_LOCK_NAME\" > '{scratch.File("env")}'; exit 7"]);

        Assert.Equal(7, result.ExitCode);
        var parts = (await File.ReadAllTextAsync(scratch.File("env"))).Split(' ');
        Assert.True(long.Parse(parts[0]) > 0, result.ToString());
        Assert.Equal("jobs/nightly", parts[1]);
    }

    [Fact]
    public async Task Run_TokensIncreaseFromOneRunToTheNext()
    {
        using var scratch = new Scratch();
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None); // keeps the memory space alive between runs

        foreach (var file in new[] { "first", "second" })
        {
            var result = await Cli.RunAsync(["run", "counter", "--backend", backend, "--", "sh", "-c", $"echo $LATCHKEY_FENCING_TOKEN > '{scratch.File(file)}'"]);
            Assert.Equal(0, result.ExitCode);
        }

        Assert.True(
            long.Parse(await File.ReadAllTextAsync(scratch.File("second"))) > long.Parse(await File.ReadAllTextAsync(scratch.File("first"))));
    }

    [Fact]
    public async Task Run_HoldsTheLockWhileTheCommandRuns_AndReleasesItAfter()
    {
        using var scratch = new Scratch();
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);

        var run = Cli.RunAsync(["run", "held", "--backend", backend, "--", "sh", "-c", $"cd '{scratch.Path}'; {WaitForGo}"]);
        await scratch.WaitForFileAsync("started", Limit);

        var during = await provider.GetStatusAsync(LockKind.Lock, "held");
        Assert.Single(during.Holders);
        Assert.Null(await provider.CreateLock("held").TryAcquireAsync());

        await File.WriteAllTextAsync(scratch.File("go"), "");
        Assert.Equal(0, (await run.WaitAsync(Limit)).ExitCode);
        var after = await provider.GetStatusAsync(LockKind.Lock, "held");
        Assert.False(after.IsHeld);
    }

    [Fact]
    public async Task Run_NoWait_OnABusyLock_Exits75_AndLeavesNothingBehind()
    {
        using var scratch = new Scratch();
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        var handle = await provider.CreateLock("busy").AcquireAsync();

        var result = await Cli.RunAsync(["run", "busy", "--no-wait", "--backend", backend, "--", "touch", scratch.File("ran")]);

        Assert.Equal(75, result.ExitCode);
        Assert.Contains("busy", result.Error);
        Assert.False(File.Exists(scratch.File("ran")));
        var status = await provider.GetStatusAsync(LockKind.Lock, "busy");
        Assert.Single(status.Holders);
        Assert.Empty(status.Waiters);

        await handle.ReleaseAsync();
        await using var next = await provider.CreateLock("busy").TryAcquireAsync();
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Run_Timeout_OnABusyLock_Exits75_AndLeavesNoWaiter()
    {
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        await using var handle = await provider.CreateLock("busy").AcquireAsync();

        var result = await Cli.RunAsync(["run", "busy", "--timeout", "200ms", "--backend", backend, "--", "true"]);

        Assert.Equal(75, result.ExitCode);
        Assert.Contains("not acquired within", result.Error);
        Assert.Empty((await provider.GetStatusAsync(LockKind.Lock, "busy")).Waiters);
    }

    [Fact]
    public async Task Run_WithoutACommand_IsAUsageError()
    {
        var result = await Cli.RunAsync(["run", "x", "--backend", Cli.NewMemoryBackend()]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("needs a command after '--'", result.Error);
    }

    [Theory]
    [InlineData("no-scheme-here")]
    [InlineData("nosuchbackend://host")]
    [InlineData("etcd://host:99999")]
    [InlineData("memory://a/b/c")]
    public async Task Run_WithABadBackendUri_IsAUsageError(string backend)
    {
        var result = await Cli.RunAsync(["run", "x", "--backend", backend, "--", "true"]);

        Assert.Equal(64, result.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
    }

    [Theory]
    [InlineData("--ttl", "soon")]
    [InlineData("--ttl", "0ms")]
    [InlineData("--timeout", "-5s")]
    public async Task Run_WithABadDuration_IsAUsageError(string option, string value)
    {
        var result = await Cli.RunAsync(["run", "x", "--backend", Cli.NewMemoryBackend(), option, value, "--", "true"]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains(value, result.Error);
    }

    [Fact]
    public async Task Run_WithTimeoutAndNoWait_IsAUsageError()
    {
        var result = await Cli.RunAsync(["run", "x", "--backend", Cli.NewMemoryBackend(), "--timeout", "1s", "--no-wait", "--", "true"]);

        Assert.Equal(64, result.ExitCode);
    }

    [Fact]
    public async Task Run_WithAnEmptyName_IsAUsageError()
    {
        var result = await Cli.RunAsync(["run", "", "--backend", Cli.NewMemoryBackend(), "--", "true"]);

        Assert.Equal(64, result.ExitCode);
        Assert.Contains("Lock name", result.Error);
    }

    [Fact]
    public async Task Run_AnUnknownCommand_Exits127_AndReleasesTheLock()
    {
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);

        var result = await Cli.RunAsync(["run", "x", "--backend", backend, "--", "latchkey-test-no-such-command"]);

        Assert.Equal(127, result.ExitCode);
        Assert.False((await provider.GetStatusAsync(LockKind.Lock, "x")).IsHeld);
    }

    [Fact]
    public async Task Run_WhenInterrupted_StopsTheCommand_Exits130_AndReleasesTheLock()
    {
        using var scratch = new Scratch();
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        using var interrupt = new CancellationTokenSource();

        // The child would run 30 s; the interrupt must end it long before.
        var run = Cli.RunAsync(["run", "x", "--backend", backend, "--", "sh", "-c", $"cd '{scratch.Path}'; {WaitForGo}; touch finished"], interrupt.Token);
        await scratch.WaitForFileAsync("started", Limit);
        await interrupt.CancelAsync();

        var result = await run.WaitAsync(Limit);
        Assert.Equal(130, result.ExitCode);
        Assert.False(File.Exists(scratch.File("finished")));
        Assert.False((await provider.GetStatusAsync(LockKind.Lock, "x")).IsHeld);
    }

    [Fact]
    public void Run_WhenTheLockIsLost_KillsTheCommandAndExits76()
    {
        // Needs a backend that can lose a held lock (a lease that expires). memory:// and file:// never
        // lose one, and backend tests use real servers, never fakes: this belongs in the fault suite
        // against etcd, Redis or ZooKeeper (SIGSTOP the lease holder past its TTL).
        Assert.Skip("No embedded backend can lose a held lock; covered by the fault suite once a server backend exists.");
    }

    [Theory]
    [InlineData("run")]
    [InlineData("status")]
    [InlineData("elect")]
    [InlineData("demo")]
    [InlineData("bench")]
    public async Task Help_IsAvailableForEveryCommand(string command)
    {
        var result = await Cli.RunAsync([command, "--help"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("USAGE", result.Output);
    }
}

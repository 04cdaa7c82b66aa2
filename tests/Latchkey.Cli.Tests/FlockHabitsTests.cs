namespace Latchkey.Cli.Tests;

/// <summary>Issue 19 item 3: flock's and etcdctl's habits: -w, -E, -s/-x, --permits.</summary>
public sealed class FlockHabitsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    // The child says it started (a file of its own), then waits (bounded, 30 s) until the test creates "go".
    private static string[] HoldUntilGo(Scratch scratch, string started) =>
        ["sh", "-c", $"cd '{scratch.Path}'; touch {started}; i=0; while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done"];

    [Fact]
    public async Task W_IsTheTimeoutInSeconds_AsInFlock()
    {
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        await using var held = await provider.CreateLock("busy").AcquireAsync();

        var result = await Cli.RunAsync(["run", "busy", "-w", "0.2", "--backend", backend, "--", "true"]);

        Assert.Equal(75, result.ExitCode);
        Assert.Contains("not acquired within 200ms", result.Error);
    }

    [Theory]
    [InlineData("-n")]
    [InlineData("-w", "0.1")]
    public async Task E_ChoosesTheBusyExitCode(params string[] wait)
    {
        using var scratch = new Scratch();
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        await using var held = await provider.CreateLock("busy").AcquireAsync();

        var result = await Cli.RunAsync(["run", "busy", "-E", "3", .. wait, "--backend", backend, "--", "touch", scratch.File("ran")]);

        Assert.Equal(3, result.ExitCode);
        Assert.False(File.Exists(scratch.File("ran")));
    }

    [Fact]
    public async Task Shared_RunsHoldTogether_ButNotBesideAnExclusiveRun()
    {
        using var scratch = new Scratch();
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        var reader = Cli.RunAsync(["run", "data", "--shared", "--backend", backend, "--", .. HoldUntilGo(scratch, "reader")]);
        await scratch.WaitForFileAsync("reader", Limit);

        var secondReader = await Cli.RunAsync(["run", "data", "-s", "-n", "--backend", backend, "--", "true"]);
        var writer = await Cli.RunAsync(["run", "data", "-x", "-n", "--backend", backend, "--", "touch", scratch.File("wrote")]);

        Assert.Equal(0, secondReader.ExitCode);
        Assert.Equal(75, writer.ExitCode);
        Assert.False(File.Exists(scratch.File("wrote")));
        await File.WriteAllTextAsync(scratch.File("go"), "");
        Assert.Equal(0, (await reader.WaitAsync(Limit)).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync(["run", "data", "-x", "-n", "--backend", backend, "--", "true"])).ExitCode);
    }

    [Fact]
    public async Task Permits_LetsNRunsHoldAtOnce_AndNoMore()
    {
        using var scratch = new Scratch();
        var backend = Cli.NewMemoryBackend();
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        var first = Cli.RunAsync(["run", "pool", "--permits", "2", "--backend", backend, "--", .. HoldUntilGo(scratch, "first")]);
        var second = Cli.RunAsync(["run", "pool", "--permits", "2", "--backend", backend, "--", .. HoldUntilGo(scratch, "second")]);
        await scratch.WaitForFileAsync("first", Limit);
        await scratch.WaitForFileAsync("second", Limit);

        var third = await Cli.RunAsync(["run", "pool", "--permits", "2", "-n", "--backend", backend, "--", "touch", scratch.File("third")]);

        Assert.Equal(75, third.ExitCode);
        Assert.False(File.Exists(scratch.File("third")));
        Assert.Equal(2, (await provider.GetStatusAsync(LockKind.Semaphore, "pool")).Holders.Count);
        await File.WriteAllTextAsync(scratch.File("go"), "");
        Assert.Equal(0, (await first.WaitAsync(Limit)).ExitCode);
        Assert.Equal(0, (await second.WaitAsync(Limit)).ExitCode);
    }

    [Theory]
    [InlineData("--shared", "--permits", "2")]
    [InlineData("-s", "-x")]
    [InlineData("--permits", "0")]
    [InlineData("-E", "256", "-n")]
    public async Task ConflictingHoldOptions_AreAUsageError(params string[] options)
    {
        var result = await Cli.RunAsync(["run", "x", .. options, "--backend", Cli.NewMemoryBackend(), "--", "true"]);

        Assert.Equal(64, result.ExitCode);
    }
}

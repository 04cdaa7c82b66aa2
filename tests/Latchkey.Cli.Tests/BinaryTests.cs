using System.Diagnostics;

namespace Latchkey.Cli.Tests;

/// <summary>The real latchkey binary in its own process, on the file backend: signals and other processes.</summary>
public sealed class BinaryTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Run_NoWait_OnALockHeldByAnotherProcess_Exits75()
    {
        using var scratch = new Scratch();
        var backend = "file://" + scratch.File("locks");
        using var holder = Start(["run", "shared", "--backend", backend, "--", "sh", "-c", $"touch '{scratch.File("started")}'; exec sleep 30"]);
        await scratch.WaitForFileAsync("started", Limit);

        var result = await Cli.RunAsync(["run", "shared", "--no-wait", "--backend", backend, "--", "touch", scratch.File("ran")]);

        Assert.Equal(75, result.ExitCode);
        Assert.False(File.Exists(scratch.File("ran")));
        holder.Kill(entireProcessTree: true);
    }

    [Fact]
    public async Task Run_OnSigterm_StopsTheCommand_Exits130_AndReleasesTheLock()
    {
        using var scratch = new Scratch();
        var backend = "file://" + scratch.File("locks");
        using var latchkey = Start(["run", "stopped", "--backend", backend, "--", "sh", "-c", $"touch '{scratch.File("started")}'; exec sleep 30"]);
        await scratch.WaitForFileAsync("started", Limit);

        Assert.True(NativeMethods.TrySignal(latchkey.Id, NativeMethods.SigTerm));
        using var limit = new CancellationTokenSource(Limit);
        await latchkey.WaitForExitAsync(limit.Token);

        Assert.Equal(130, latchkey.ExitCode);
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        await using var handle = await provider.CreateLock("stopped").TryAcquireAsync();
        Assert.NotNull(handle);
    }

    [Fact]
    public async Task Run_WhileWaiting_OnSigterm_Exits130_AndLeavesNoWaiter()
    {
        using var scratch = new Scratch();
        var backend = "file://" + scratch.File("locks");
        await using var provider = await Connections.OpenAsync(backend, CancellationToken.None);
        await using var held = await provider.CreateLock("queued").AcquireAsync();
        using var latchkey = Start(["run", "queued", "--backend", backend, "--", "touch", scratch.File("ran")]);
        await WaitUntilAsync(async () => (await provider.GetStatusAsync(LockKind.Lock, "queued")).Waiters.Count == 1);

        Assert.True(NativeMethods.TrySignal(latchkey.Id, NativeMethods.SigTerm));
        using var limit = new CancellationTokenSource(Limit);
        await latchkey.WaitForExitAsync(limit.Token);

        Assert.Equal(130, latchkey.ExitCode);
        Assert.False(File.Exists(scratch.File("ran")));
        Assert.Empty((await provider.GetStatusAsync(LockKind.Lock, "queued")).Waiters);
    }

    private static Process Start(string[] arguments) => LatchkeyProcess.Start(arguments);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        // The file backend's status is read from disk: poll it, 300 times at most over 30 s.
        for (var i = 0; i < 300; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("The condition did not become true within 30 s.");
    }
}

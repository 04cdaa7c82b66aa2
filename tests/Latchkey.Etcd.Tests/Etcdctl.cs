using System.Diagnostics;

namespace Latchkey.Etcd.Tests;

/// <summary>Runs etcd's own command-line client (Debian's etcd-client) against endpoints the test names.</summary>
internal static class Etcdctl
{
    /// <summary>Runs <c>etcdctl --endpoints <paramref name="endpoints"/> ARGS</c> (API v3) to its end.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string endpoints, params string[] args)
    {
        var start = new ProcessStartInfo("etcdctl") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["ETCDCTL_API"] = "3";
        foreach (var arg in new[] { "--endpoints", endpoints }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>As <see cref="RunAsync"/>, failing the test unless etcdctl succeeds; returns what it printed.</summary>
    public static async Task<string> RequireAsync(string endpoints, params string[] args)
    {
        var (exitCode, output, error) = await RunAsync(endpoints, args);
        Assert.True(exitCode == 0, $"etcdctl {string.Join(' ', args)} failed: {output} {error}");
        return output;
    }
}

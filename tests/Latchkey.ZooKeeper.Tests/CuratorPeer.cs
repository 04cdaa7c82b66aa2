using System.Diagnostics;
using System.Threading.Channels;

namespace Latchkey.ZooKeeper.Tests;

/// <summary>
/// A Curator lock in a JVM of its own (<c>Curator/CuratorPeer.java</c>, compiled once per run with the packaged
/// <c>javac</c> against Debian's <c>libcurator-recipes-java</c>), driven line by line over its stdin and stdout.
/// Missing Java or Curator skips the test, or fails it when CI=true.
/// </summary>
internal sealed class CuratorPeer : IAsyncDisposable
{
    private static readonly string[] Jars =
        ["curator-recipes", "curator-framework", "curator-client", "zookeeper", "zookeeper-jute", "guava", "slf4j-api", "slf4j-nop"];

    private static readonly SemaphoreSlim CompileGate = new(1, 1);
    private static string? _classes;

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    private CuratorPeer(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
            }
            else
            {
                _lines.Writer.TryWrite(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private static string ClassPath => string.Join(':', Jars.Select(j => $"/usr/share/java/{j}.jar"));

    /// <summary>Starts a peer on <paramref name="connectString"/> (<c>host:port/chroot</c>) for the Curator lock at <paramref name="path"/>.</summary>
    public static async Task<CuratorPeer> StartAsync(string connectString, string path, string recipe = "mutex")
    {
        var classes = await CompileAsync();
        var start = new ProcessStartInfo("java") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", $"{classes}:{ClassPath}", "CuratorPeer", connectString, path, recipe })
        {
            start.ArgumentList.Add(argument);
        }

        var peer = new CuratorPeer(Process.Start(start) ?? throw new InvalidOperationException("java did not start."));
        await peer.ExpectAsync("ready");
        return peer;
    }

    /// <summary>Sends a command (<c>acquire</c>, <c>release</c>) without waiting for its answer.</summary>
    public async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for the peer's next line and checks it.</summary>
    public async Task ExpectAsync(string line)
    {
        var read = await _lines.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(line, read);
    }

    /// <summary>True if the peer has said something not yet read (it must not have acquired, say).</summary>
    public bool HasSpoken => _lines.Reader.TryPeek(out _);

    /// <summary>Kills the JVM without a word to ZooKeeper: its session (and node) lives until it expires.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static async Task<string> CompileAsync()
    {
        var missing = Jars.Select(j => $"/usr/share/java/{j}.jar").Where(j => !File.Exists(j)).ToList();
        if (missing.Count > 0 || !OnPath("java") || !OnPath("javac"))
        {
            var what = missing.Count > 0 ? $"Curator's jars are missing ({string.Join(", ", missing)}; apt-get install libcurator-recipes-java)" : "java or javac is not on the PATH";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(what + " (CI=true requires them).");
            }

            Assert.Skip(what + ".");
        }

        await CompileGate.WaitAsync();
        try
        {
            if (_classes is null)
            {
                var output = Directory.CreateTempSubdirectory("latchkey-curator-").FullName;
                var source = Path.Combine(AppContext.BaseDirectory, "Curator", "CuratorPeer.java");
                using var javac = Process.Start(new ProcessStartInfo("javac", ["-d", output, "-cp", ClassPath, source]) { RedirectStandardError = true })!;
                var errors = await javac.StandardError.ReadToEndAsync();
                await javac.WaitForExitAsync();
                Assert.True(javac.ExitCode == 0, $"javac failed: {errors}");
                _classes = output;
            }

            return _classes;
        }
        finally
        {
            CompileGate.Release();
        }
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, program)));
}

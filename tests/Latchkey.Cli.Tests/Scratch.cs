namespace Latchkey.Cli.Tests;

/// <summary>A temporary directory for one test, removed afterwards.</summary>
internal sealed class Scratch : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("latchkey-cli-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Waits until a file exists (a signal from a child process), for at most <paramref name="limit"/>.</summary>
    public async Task WaitForFileAsync(string name, TimeSpan limit)
    {
        using var watcher = new FileSystemWatcher(Path) { EnableRaisingEvents = true };
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Created += (_, e) =>
        {
            if (e.Name == name)
            {
                created.TrySetResult();
            }
        };
        if (!System.IO.File.Exists(File(name)))
        {
            await created.Task.WaitAsync(limit);
        }
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

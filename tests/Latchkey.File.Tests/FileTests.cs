namespace Latchkey.File.Tests;

/// <summary>Shared set-up: a fresh lock directory per test, and providers that are disposed after it.</summary>
public abstract class FileTests : IAsyncLifetime
{
    /// <summary>An upper bound for any single wait; a wait that needs it has failed.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly List<ILockProvider> _providers = [];

    protected DirectoryInfo Dir { get; } = Directory.CreateTempSubdirectory("latchkey-file-");

    protected virtual string Uri => "file://" + Dir.FullName;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected ILockProvider NewProvider()
    {
        var provider = LockProvider.Connect(Uri);
        _providers.Add(provider);
        return provider;
    }

    public ValueTask InitializeAsync() => default;

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        Dir.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    protected static async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Patience, Ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} did not happen within {Patience}.");
            throw;
        }
    }

    protected static async Task Within(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Patience, Ct);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what} did not happen within {Patience}.");
            throw;
        }
    }

    /// <summary>Reads status until <paramref name="condition"/> holds, bounded by <see cref="Patience"/>.</summary>
    protected static async Task<LockStatus> WaitForStatusAsync(ILockProvider provider, LockKind kind, string name, Func<LockStatus, bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var status = await provider.GetStatusAsync(kind, name, Ct);
            if (condition(status))
            {
                return status;
            }

            Assert.True(clock.Elapsed < Patience, $"Gave up waiting for {what}; status: {status.Holders.Count} holders, {status.Waiters.Count} waiters.");
            await Task.Delay(5, Ct);
        }
    }
}

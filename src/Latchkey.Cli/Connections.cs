namespace Latchkey.Cli;

/// <summary>Opens providers so that a malformed string or an unreachable backend fails at once, not at the first acquire.</summary>
public static class Connections
{
    /// <summary>Creates a provider for <paramref name="connectionString"/> and connects it.</summary>
    /// <exception cref="FormatException">The connection string is malformed, or no backend serves its scheme.</exception>
    /// <exception cref="LockBackendUnavailableException">The backend cannot be reached.</exception>
    public static async Task<ILockProvider> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var provider = LockProvider.Connect(connectionString);
        try
        {
            await provider.ConnectAsync(cancellationToken);
            return provider;
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }
}

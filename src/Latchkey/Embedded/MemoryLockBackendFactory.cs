using Latchkey.Backend;

namespace Latchkey.Embedded;

/// <summary>Creates <c>memory://[space]</c> backends: providers that name the same space share its locks.</summary>
internal sealed class MemoryLockBackendFactory : ILockBackendFactory
{
    public LockBackend Create(LockConnectionString connectionString, LockProviderOptions options)
    {
        connectionString.ThrowOnUnknownParameters();
        if (connectionString.Endpoints.Count > 1 || connectionString.Path.Trim('/').Length > 0)
        {
            throw new FormatException($"memory:// takes at most a space name, as in 'memory://tests'; got '{connectionString.Original}'.");
        }

        var space = connectionString.Endpoints.Count == 1 ? connectionString.Endpoints[0].Host : string.Empty;
        return new MemoryLockBackend(MemoryLockSpace.Named(space));
    }
}

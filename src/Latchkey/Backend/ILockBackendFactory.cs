namespace Latchkey.Backend;

/// <summary>Creates a backend from a parsed connection string. Registered with <see cref="LockBackendSchemeAttribute"/> or <see cref="LockProvider.RegisterBackend"/>.</summary>
public interface ILockBackendFactory
{
    /// <summary>Creates the backend. Does no I/O; throws <see cref="FormatException"/> for a connection string it cannot use.</summary>
    LockBackend Create(LockConnectionString connectionString, LockProviderOptions options);
}

namespace Latchkey.Redis;

/// <summary>
/// Registers the Redis backend (redis:// and rediss:// (TLS) connection strings) with <see cref="LockProvider.Connect"/>. An application that
/// references the Latchkey.Redis package has it registered at start-up by the package itself (no reflection, so
/// trimmed, single-file and native AOT apps work); call <see cref="Register"/> yourself only where that is
/// switched off (<c>&lt;LatchkeyAutoRegister&gt;false&lt;/LatchkeyAutoRegister&gt;</c>) or the assembly comes
/// by project reference.
/// </summary>
public static class RedisBackend
{
    /// <summary>Makes <see cref="LockProvider.Connect"/> serve redis:// and rediss:// (TLS) connection strings. Idempotent and thread-safe.</summary>
    public static void Register()
    {
        var factory = new RedisLockBackendFactory();
        LockProvider.RegisterBackend("redis", factory);
        LockProvider.RegisterBackend("rediss", factory);
    }
}

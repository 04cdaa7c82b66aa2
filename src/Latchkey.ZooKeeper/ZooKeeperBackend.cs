namespace Latchkey.ZooKeeper;

/// <summary>
/// Registers the ZooKeeper backend (zk:// and zks:// connection strings) with <see cref="LockProvider.Connect"/>. An application that
/// references the Latchkey.ZooKeeper package has it registered at start-up by the package itself (no reflection, so
/// trimmed, single-file and native AOT apps work); call <see cref="Register"/> yourself only where that is
/// switched off (<c>&lt;LatchkeyAutoRegister&gt;false&lt;/LatchkeyAutoRegister&gt;</c>) or the assembly comes
/// by project reference.
/// </summary>
public static class ZooKeeperBackend
{
    /// <summary>Makes <see cref="LockProvider.Connect"/> serve zk:// and zks:// connection strings. Idempotent and thread-safe.</summary>
    public static void Register()
    {
        LockProvider.RegisterBackend("zk", new ZooKeeperLockBackendFactory());
        LockProvider.RegisterBackend("zks", new ZooKeeperLockBackendFactory());
    }
}

namespace Latchkey.Cli;

/// <summary>What a demo worker reports.</summary>
internal enum DemoEventKind
{
    /// <summary>Asking for the lock.</summary>
    Waiting,

    /// <summary>Got the lock.</summary>
    Acquired,

    /// <summary>Released it.</summary>
    Released,

    /// <summary>Got the lock and will hold it until killed.</summary>
    Holding,
}

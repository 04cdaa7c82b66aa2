namespace Latchkey.Redis;

/// <summary>What one acquisition takes, which decides the keys the scripts look at.</summary>
internal enum RedisLockMode
{
    /// <summary>A lock or an election: the owner key alone.</summary>
    Exclusive,

    /// <summary>A permit of a semaphore on one Redis: a member of the holders set.</summary>
    Semaphore,

    /// <summary>The writer side of a reader/writer lock: the owner key, once no reader holds.</summary>
    Writer,

    /// <summary>The reader side: a member of the holders set, while no writer holds or waits.</summary>
    Reader,

    /// <summary>One slot of a Redlock semaphore: an exclusive lock of its own, also listed in the holders set.</summary>
    RedlockSlot,
}

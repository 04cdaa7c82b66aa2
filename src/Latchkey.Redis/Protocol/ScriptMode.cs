namespace Latchkey.Redis.Protocol;

/// <summary>How the scripts spell a <see cref="RedisLockMode"/> (their <c>mode</c> argument).</summary>
internal static class ScriptMode
{
    public static string Of(RedisLockMode mode) => mode switch
    {
        RedisLockMode.Exclusive => "x",
        RedisLockMode.Semaphore => "s",
        RedisLockMode.Writer => "w",
        RedisLockMode.Reader => "r",
        RedisLockMode.RedlockSlot => "k",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown Redis lock mode."),
    };
}

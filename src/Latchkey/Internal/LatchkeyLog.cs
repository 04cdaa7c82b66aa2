using Microsoft.Extensions.Logging;

namespace Latchkey.Internal;

/// <summary>The core's log messages, each with a stable event id (1xxx: the core; backends use their own ranges).</summary>
internal static partial class LatchkeyLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "Releasing '{LockName}' (token {FencingToken}) on dispose could not be confirmed; its lease or TTL frees it.")]
    public static partial void ReleaseFailedOnDispose(ILogger logger, string lockName, long fencingToken, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning,
        Message = "Disposing the {Backend}:// provider failed; locks it still held free themselves by lease or TTL.")]
    public static partial void ProviderDisposeFailed(ILogger logger, string backend, Exception exception);
}

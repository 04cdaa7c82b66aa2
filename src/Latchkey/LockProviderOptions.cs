using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey;

/// <summary>Options of a provider that do not belong in a connection string.</summary>
public sealed record LockProviderOptions
{
    /// <summary>The clock for timeouts, leases and renewal. Tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Adds the lock name (<c>latchkey.lock.name</c>) to the metrics on the <c>Latchkey</c> meter. Off by
    /// default: names such as order ids have unbounded cardinality. Spans always carry the name.
    /// </summary>
    public bool RecordLockNamesInMetrics { get; init; }

    /// <summary>Where the provider logs (lease loss, reconnects, fail-over).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}

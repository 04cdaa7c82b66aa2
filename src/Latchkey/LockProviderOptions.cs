using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latchkey;

/// <summary>Options of a provider that do not belong in a connection string.</summary>
public sealed record LockProviderOptions
{
    /// <summary>The clock for timeouts, leases and renewal. Tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the provider logs (lease loss, reconnects, fail-over).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}

using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>
/// Registers the Redis backend (redis:// and rediss:// (TLS) connection strings) with <see cref="LockProvider.Connect"/>. An application that
/// references the Latchkey.Redis package has it registered at start-up by the package itself (no reflection, so
/// trimmed, single-file and native AOT apps work); call <see cref="Register"/> yourself only where that is
/// switched off (<c>&lt;LatchkeyAutoRegister&gt;false&lt;/LatchkeyAutoRegister&gt;</c>) or the assembly comes
/// by project reference. <see cref="Connect"/> builds a provider over a Redis connection the application already has.
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

    /// <summary>
    /// A provider over a connection to one Redis that the application already has, such as the
    /// <see cref="IConnectionMultiplexer"/> in its service container (issue 14). The provider uses it as it is — its
    /// endpoints, credentials, TLS, timeouts, reconnect policy and default database — and never disposes it: disposing
    /// the provider releases the provider's locks and ends its subscriptions, and the multiplexer stays open. Does no I/O.
    /// </summary>
    /// <param name="multiplexer">The connection, owned by the application.</param>
    /// <param name="settings">
    /// The options of a <c>redis://</c> connection string that apply to a given connection, as its query:
    /// <c>prefix</c> and <c>fair</c>, e.g. <c>"prefix=orders:&amp;fair=false"</c>. <see langword="null"/> for the defaults.
    /// </param>
    /// <param name="options">The provider's options.</param>
    /// <exception cref="FormatException"><paramref name="settings"/> is malformed or names an option the connection decides (<c>mode</c>, <c>connectTimeout</c>, <c>timeout</c>).</exception>
    public static ILockProvider Connect(IConnectionMultiplexer multiplexer, string? settings = null, LockProviderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        options ??= new LockProviderOptions();
        var query = settings?.TrimStart('?') ?? string.Empty;
        var parsed = LockConnectionString.Parse(query.Length == 0 ? "redis://given" : $"redis://given?{query}");
        foreach (var decided in new[] { "mode", "connectTimeout", "timeout" })
        {
            if (parsed.GetString(decided) is not null)
            {
                throw new FormatException($"'{decided}' is the given connection's to decide; the settings of a given connection take 'prefix' and 'fair'. Got '{settings}'.");
            }
        }

        var redis = RedisLockSettings.Parse(parsed) with { Endpoints = [Describe(multiplexer)] };
        return new LockProvider(new RedisLockBackend(redis, options, multiplexer), options);
    }

    /// <summary>The multiplexer's first endpoint, for error messages.</summary>
    private static LockEndpoint Describe(IConnectionMultiplexer multiplexer) => multiplexer.GetEndPoints().FirstOrDefault() switch
    {
        DnsEndPoint dns => new LockEndpoint(dns.Host, dns.Port),
        IPEndPoint ip => new LockEndpoint(ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip.Address}]" : ip.Address.ToString(), ip.Port),
        _ => new LockEndpoint(multiplexer.ClientName, null),
    };
}

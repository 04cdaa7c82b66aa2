using System.Globalization;

namespace Latchkey.Etcd;

/// <summary>The parsed, validated settings of an <c>etcd://</c> or <c>etcds://</c> connection string.</summary>
internal sealed record EtcdSettings
{
    /// <summary>etcd's client port.</summary>
    public const int DefaultPort = 2379;

    /// <summary>
    /// The shortest lease etcd grants with its default heartbeat (100 ms) and election ticks (10):
    /// 1.5 × the election timeout, rounded up to whole seconds. A shorter request is silently raised by the server.
    /// </summary>
    public static readonly TimeSpan MinimumTtl = TimeSpan.FromSeconds(2);

    /// <summary>The longest lease Latchkey asks for (the core's limit for any TTL).</summary>
    public static readonly TimeSpan MaximumTtl = TimeSpan.FromHours(24);

    public required IReadOnlyList<Uri> Endpoints { get; init; }

    public required TimeSpan Ttl { get; init; }

    /// <summary>The key prefix, empty or ending with <c>/</c>.</summary>
    public required string Prefix { get; init; }

    /// <summary>Lock keys laid out as etcd's <c>concurrency.Mutex</c> does (<c>layout=etcd</c>), so the two interoperate.</summary>
    public bool MutexLayout { get; init; }

    public required TimeSpan ConnectTimeout { get; init; }

    public required TimeSpan RequestTimeout { get; init; }

    public string? UserName { get; init; }

    public string? Password { get; init; }

    public bool UseTls { get; init; }

    public string? CaFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>The optimizations on (all by default); internal, for tests (<see cref="EtcdOptimizations"/>).</summary>
    public EtcdOptimizations Optimizations { get; init; } = EtcdOptimizations.All;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{(UseTls ? "etcds" : "etcd")}://{(UserName is null ? string.Empty : UserName + ":***@")}{string.Join(",", Endpoints.Select(e => e.Authority))}/{Prefix}?ttl={Ttl.TotalSeconds}s";

    /// <summary>Parses the connection string's parameters.</summary>
    /// <exception cref="FormatException">A parameter is malformed, unknown or out of range.</exception>
    public static EtcdSettings Parse(LockConnectionString connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var tls = connectionString.Scheme switch
        {
            "etcd" => false,
            "etcds" => true,
            _ => throw new FormatException($"The etcd backend serves 'etcd://' and 'etcds://'; got '{connectionString.Scheme}://'."),
        };

        if (connectionString.Endpoints.Count == 0)
        {
            throw new FormatException($"An etcd connection string needs at least one host, as in 'etcd://127.0.0.1:2379'; got '{connectionString}'.");
        }

        var ttl = connectionString.GetDuration("ttl") ?? LockOptions.DefaultTtl;
        if (ttl < MinimumTtl || ttl > MaximumTtl || ttl.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new FormatException(
                $"etcd lease TTL ('ttl') must be whole seconds from {MinimumTtl.TotalSeconds:0}s (etcd's minimum lease) to 24h; got {ttl}.");
        }

        var connectTimeout = connectionString.GetDuration("connectTimeout") ?? TimeSpan.FromSeconds(5);
        var requestTimeout = connectionString.GetDuration("requestTimeout") ?? TimeSpan.FromSeconds(10);
        CheckPositive(connectTimeout, "connectTimeout");
        CheckPositive(requestTimeout, "requestTimeout");

        var prefixParameter = connectionString.GetString("prefix");
        var path = connectionString.Path.Trim('/');
        if (prefixParameter is not null && path.Length > 0)
        {
            throw new FormatException($"Give the etcd key prefix either as the path or as 'prefix=', not both; got '{connectionString}'.");
        }

        var prefix = NormalizePrefix(prefixParameter ?? (path.Length > 0 ? path : "latchkey"));
        var mutexLayout = connectionString.GetString("layout") switch
        {
            null or "latchkey" => false,
            "etcd" => true,
            var other => throw new FormatException($"Connection string parameter 'layout' must be 'latchkey' (the default) or 'etcd' (lock keys as etcd's concurrency.Mutex lays them out); got '{other}'."),
        };
        var ca = connectionString.GetString("ca");
        var cert = connectionString.GetString("cert");
        var key = connectionString.GetString("key");
        if (!tls && (ca ?? cert ?? key) is not null)
        {
            throw new FormatException("The 'ca', 'cert' and 'key' parameters need TLS: use 'etcds://'.");
        }

        if ((cert is null) != (key is null))
        {
            throw new FormatException("A client certificate needs both 'cert' and 'key' (PEM files).");
        }

        var optimizations = ParseOptimizations(connectionString.GetString("optimizations"));
        connectionString.ThrowOnUnknownParameters();
        var scheme = tls ? "https" : "http";
        var endpoints = connectionString.Endpoints
            .Select(e => new Uri(string.Create(CultureInfo.InvariantCulture, $"{scheme}://{(e.Host.Contains(':', StringComparison.Ordinal) ? $"[{e.Host}]" : e.Host)}:{e.PortOr(DefaultPort)}")))
            .ToList();

        return new EtcdSettings
        {
            Endpoints = endpoints,
            Ttl = ttl,
            Prefix = prefix,
            MutexLayout = mutexLayout,
            ConnectTimeout = connectTimeout,
            RequestTimeout = requestTimeout,
            UserName = connectionString.UserName,
            Password = connectionString.Password,
            UseTls = tls,
            CaFile = ca,
            CertFile = cert,
            KeyFile = key,
            Optimizations = optimizations,
        };
    }

    /// <summary>The internal <c>optimizations=</c> parameter: <c>none</c>, <c>all</c>, or the names of those to keep on, comma-separated.</summary>
    private static EtcdOptimizations ParseOptimizations(string? value)
    {
        if (value is null)
        {
            return EtcdOptimizations.All;
        }

        if (!Enum.TryParse<EtcdOptimizations>(value, ignoreCase: true, out var parsed) || (parsed & ~EtcdOptimizations.All) != 0 || value.Any(char.IsDigit))
        {
            throw new FormatException($"Connection string parameter 'optimizations' (internal, for tests) must be 'none', 'all' or a comma-separated list of {string.Join(", ", Enum.GetNames<EtcdOptimizations>().Where(n => n is not "None" and not "All"))}; got '{value}'.");
        }

        return parsed;
    }

    private static void CheckPositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromHours(1))
        {
            throw new FormatException($"Connection string parameter '{name}' must be more than zero and at most 1h; got {value}.");
        }
    }

    private static string NormalizePrefix(string prefix)
    {
        if (prefix.Contains('\0', StringComparison.Ordinal))
        {
            throw new FormatException("The etcd key prefix must not contain NUL.");
        }

        var trimmed = prefix.Trim('/');
        return trimmed.Length == 0 ? string.Empty : trimmed + "/";
    }
}

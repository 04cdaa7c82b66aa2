namespace Latchkey.Redis;

/// <summary>What a <c>redis://</c> or <c>rediss://</c> connection string asks for.</summary>
internal sealed record RedisLockSettings
{
    public const int DefaultPort = 6379;

    public required IReadOnlyList<LockEndpoint> Endpoints { get; init; }

    public string? User { get; init; }

    public string? Password { get; init; }

    public bool Tls { get; init; }

    public bool Redlock { get; init; }

    public int Database { get; init; }

    public string Prefix { get; init; } = "latchkey:";

    /// <summary>
    /// The default of <see cref="LockOptions.Fair"/>: true on a single Redis (FIFO, herd-free), false on Redlock, where
    /// each master would keep a queue of its own and no order across them is one that every master agrees on.
    /// </summary>
    public bool Fair { get; init; } = true;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Parses the connection string: <c>redis://[user:password@]host[:port][,host…][/db][?mode=redlock&amp;fair=true&amp;prefix=p:&amp;connectTimeout=2s&amp;timeout=5s]</c>.</summary>
    /// <exception cref="FormatException">The string is malformed or asks for something this backend does not do.</exception>
    public static RedisLockSettings Parse(LockConnectionString connectionString)
    {
        var mode = connectionString.GetString("mode")?.ToLowerInvariant() ?? "standalone";
        if (mode is not ("standalone" or "redlock"))
        {
            throw new FormatException($"Redis 'mode' must be 'standalone' or 'redlock'; got '{connectionString.GetString("mode")}'.");
        }

        var prefix = connectionString.GetString("prefix") ?? "latchkey:";
        if (prefix.Length == 0 || prefix.Length > 128 || prefix.Any(c => c is '{' or '}' || char.IsControl(c)))
        {
            throw new FormatException($"Redis 'prefix' must be 1–128 characters without braces or control characters; got '{prefix}'.");
        }

        var connectTimeout = connectionString.GetDuration("connectTimeout") ?? TimeSpan.FromSeconds(5);
        var commandTimeout = connectionString.GetDuration("timeout") ?? TimeSpan.FromSeconds(5);
        foreach (var (key, value) in new[] { ("connectTimeout", connectTimeout), ("timeout", commandTimeout) })
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromMinutes(10))
            {
                throw new FormatException($"Redis '{key}' must be more than zero and at most 10 minutes; got {value}.");
            }
        }

        var fair = connectionString.GetBoolean("fair");
        connectionString.ThrowOnUnknownParameters();

        if (connectionString.Endpoints.Count == 0)
        {
            throw new FormatException($"Redis connection string needs a host, as in 'redis://127.0.0.1:6379'; got '{connectionString}'.");
        }

        var redlock = mode == "redlock";
        if (!redlock && connectionString.Endpoints.Count > 1)
        {
            throw new FormatException($"Several Redis hosts need '?mode=redlock' (independent masters); got '{connectionString}'.");
        }

        if (redlock && connectionString.Endpoints.Count < 3)
        {
            throw new FormatException($"Redlock needs at least 3 independent masters; got {connectionString.Endpoints.Count} in '{connectionString}'.");
        }

        if (redlock && fair == true)
        {
            throw new FormatException("Redlock has no fair mode: 'fair=true' needs a single Redis.");
        }

        var database = 0;
        var path = connectionString.Path.Trim('/');
        if (path.Length > 0 && (!int.TryParse(path, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out database) || database > 10_000))
        {
            throw new FormatException($"Redis path must be a database number, as in 'redis://host:6379/2'; got '/{path}'.");
        }

        return new RedisLockSettings
        {
            Endpoints = connectionString.Endpoints,
            User = connectionString.UserName is { Length: > 0 } user ? user : null,
            Password = connectionString.Password,
            Tls = connectionString.Scheme == "rediss",
            Redlock = redlock,
            Database = database,
            Prefix = prefix,
            // Fair on a single Redis unless asked to barge; Redlock has no single queue (see Fair).
            Fair = fair ?? !redlock,
            ConnectTimeout = connectTimeout,
            CommandTimeout = commandTimeout,
        };
    }
}

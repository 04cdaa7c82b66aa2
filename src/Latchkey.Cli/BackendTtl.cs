namespace Latchkey.Cli;

/// <summary>
/// Makes <c>--ttl</c> mean the same on every backend. Where the lease is per connection (etcd's lease, ZooKeeper's
/// session) the CLI owns the provider, so it writes the TTL into the connection string when the string has none;
/// a string and a flag that disagree are a usage error. Redis takes it per lock; file and memory have no lease.
/// </summary>
internal static class BackendTtl
{
    /// <summary>The connection string to open and the TTL to ask each lock for.</summary>
    /// <param name="backend">The connection string as given.</param>
    /// <param name="flag">The <c>--ttl</c> flag, if given.</param>
    /// <exception cref="FormatException">The connection string is malformed, or it and the flag disagree.</exception>
    public static (string Backend, TimeSpan Ttl) Apply(string backend, TimeSpan? flag)
    {
        var parsed = LockConnectionString.Parse(backend);
        var key = ConnectionParameter(parsed.Scheme);
        if (key is null)
        {
            return (backend, flag ?? LockOptions.DefaultTtl);
        }

        var inUri = parsed.Parameters.TryGetValue(key, out var text) ? LockConnectionString.ParseDuration(text, key) : (TimeSpan?)null;
        if (inUri is { } uriTtl && flag is { } flagTtl && uriTtl != flagTtl)
        {
            throw new FormatException(
                $"--ttl {DurationConverter.Format(flagTtl)} disagrees with {key}={text} in the backend URI ({parsed}); give one of them.");
        }

        if (inUri is null && flag is { } ttl)
        {
            var separator = backend.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            backend = $"{backend}{separator}{key}={DurationConverter.Format(ttl)}";
        }

        return (backend, inUri ?? flag ?? LockOptions.DefaultTtl);
    }

    /// <summary>The connection-string parameter that sets a backend's lease, for backends with one lease per connection.</summary>
    private static string? ConnectionParameter(string scheme) => scheme switch
    {
        "etcd" => "ttl",
        "zk" => "sessionTimeout",
        _ => null,
    };
}

using StackExchange.Redis;

namespace Latchkey.Redis.Tests;

/// <summary>A plain StackExchange.Redis connection for tests to look at and tamper with the server behind the backend's back.</summary>
internal sealed class RedisAdmin : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _connection;

    private RedisAdmin(ConnectionMultiplexer connection) => _connection = connection;

    public IDatabase Database => _connection.GetDatabase();

    public IServer Server => _connection.GetServer(_connection.GetEndPoints()[0]);

    /// <summary>Connects to the host:port of a <c>redis://</c> connection string (the first host).</summary>
    public static async Task<RedisAdmin> ConnectAsync(string connectionString)
    {
        var parsed = LockConnectionString.Parse(connectionString);
        var endpoint = parsed.Endpoints[0];
        var options = new ConfigurationOptions { EndPoints = { $"{endpoint.Host}:{endpoint.PortOr(6379)}" }, AllowAdmin = true, Password = parsed.Password };
        return new RedisAdmin(await ConnectionMultiplexer.ConnectAsync(options));
    }

    /// <summary>Every key under <paramref name="prefix"/> (SCAN), sorted.</summary>
    public List<string> KeysUnder(string prefix) =>
        [.. Server.Keys(pattern: prefix.Replace("[", "\\[", StringComparison.Ordinal) + "*", pageSize: 1000).Select(k => (string)k!).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Requests the clients sent, by command (INFO commandstats counts the commands a script calls too, so only the
    /// top-level ones a client can send are counted here: scripts, pub/sub, and the plain commands).
    /// </summary>
    public async Task<Dictionary<string, long>> CommandCallsAsync()
    {
        var info = await Server.InfoAsync("commandstats");
        return info.SelectMany(g => g).ToDictionary(
            p => p.Key.Replace("cmdstat_", string.Empty, StringComparison.Ordinal),
            p => long.Parse(p.Value.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}

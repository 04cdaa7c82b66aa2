using Latchkey.Redis.Protocol;
using StackExchange.Redis;

namespace Latchkey.Redis.Tests;

/// <summary>Runs the backend's scripts directly on the test Redis, under a key prefix of its own that it deletes when disposed.</summary>
internal sealed class RedisScriptRunner : IAsyncDisposable
{
    private readonly RedisNode _node;
    private readonly RedisAdmin _admin;

    private RedisScriptRunner(string prefix, RedisNode node, RedisAdmin admin)
    {
        Prefix = prefix;
        _node = node;
        _admin = admin;
    }

    public string Prefix { get; }

    /// <summary>Where fair waiters of provider <c>p</c> are woken: <c>WakePrefix + "p"</c>.</summary>
    public string WakePrefix => Prefix + "wake:";

    public IDatabase Database => _admin.Database;

    public static async Task<RedisScriptRunner> ConnectAsync(string hint, CancellationToken cancellationToken)
    {
        var prefix = RedisTestServer.NewPrefix(hint);
        var connectionString = RedisTestServer.Single(prefix);
        var settings = RedisLockSettings.Parse(LockConnectionString.Parse(connectionString));
        var node = new RedisNode(settings, settings.Endpoints[0], TimeProvider.System);
        await node.ConnectAsync(cancellationToken);
        return new RedisScriptRunner(prefix, node, await RedisAdmin.ConnectAsync(connectionString));
    }

    public Task<RedisResult> RunAsync(ScriptCall call) => _node.EvaluateAsync(call);

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _admin.KeysUnder(Prefix))
        {
            await _admin.Database.KeyDeleteAsync(key);
        }

        await _node.DisposeAsync();
        await _admin.DisposeAsync();
    }
}

// A lock holder for the fenced-write fault tests.
//   worker LOCK_URI LOCK_NAME TTL POSTGRES FENCE_TABLE ACCOUNTS_TABLE ACCOUNT_ID
//     Acquires LOCK_NAME with the TTL, prints "held TOKEN", then for each line on stdin:
//       "fenced VALUE"          sets the account's balance to VALUE through PostgresFence (resource = LOCK_NAME)
//                               with the lock's handle, printing "accepted", "refused TOKEN HIGHEST" or "lost";
//       "fenced-unaware VALUE"  the same with the handle as the holder saw it before a pause (see below);
//       "plain VALUE"           sets it with a plain UPDATE, printing "written ROWS";
//       "await-lost"            waits (at most 30 s) for the handle's Lost and prints "lost True|False".
using Latchkey;
using Latchkey.Fencing.PostgreSql;
using Latchkey.Redis;
using Npgsql;

if (args is not [var lockUri, var name, var ttl, var postgres, var fenceTable, var accounts, var accountId])
{
    Console.Error.WriteLine("usage: worker LOCK_URI LOCK_NAME TTL POSTGRES FENCE_TABLE ACCOUNTS_TABLE ACCOUNT_ID");
    return 64;
}

using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
var ct = deadline.Token;
RedisBackend.Register();
await using var provider = LockProvider.Connect(lockUri);
await using var handle = await provider.CreateLock(name, new LockOptions { Ttl = LockConnectionString.ParseDuration(ttl) }).AcquireAsync(cancellationToken: ct);
await using var connection = new NpgsqlConnection(postgres);
await connection.OpenAsync(ct);
var fence = new PostgresFence(fenceTable);
var update = $"UPDATE {accounts} SET balance = @b WHERE id = @id";
Console.WriteLine($"held {handle.FencingToken}");

// The fence checks Lost before it starts, but a pause can fall just after that check and before the write
// reaches the server: the window fencing exists for, and one that cannot be placed from outside the process.
// So the write is given the handle as the holder saw it when it was stopped: same name and token, not lost.
var asSeenBeforeThePause = new HandleAsSeen(handle.Name, handle.FencingToken);

while (await Console.In.ReadLineAsync(ct) is { } line)
{
    var (command, value) = line.Split(' ') is [var c, var v] ? (c, long.Parse(v, System.Globalization.CultureInfo.InvariantCulture)) : (line, 0L);
    NpgsqlParameter[] parameters = [new("b", value), new("id", int.Parse(accountId, System.Globalization.CultureInfo.InvariantCulture))];
    switch (command)
    {
        case "fenced" or "fenced-unaware":
            try
            {
                await fence.ExecuteAsync(connection, command == "fenced" ? handle : asSeenBeforeThePause, update, parameters, cancellationToken: ct);
                Console.WriteLine("accepted");
            }
            catch (FencedWriteRefusedException e)
            {
                Console.WriteLine($"refused {e.Token} {e.HighestToken}");
            }
            catch (LockLostException)
            {
                Console.WriteLine("lost");
            }

            break;
        case "plain":
            await using (var plain = new NpgsqlCommand(update, connection))
            {
                plain.Parameters.AddRange(parameters);
                Console.WriteLine($"written {await plain.ExecuteNonQueryAsync(ct)}");
            }

            break;
        case "await-lost":
            using (var bound = CancellationTokenSource.CreateLinkedTokenSource(handle.Lost, ct))
            {
                bound.CancelAfter(TimeSpan.FromSeconds(30));
                await Task.Delay(Timeout.InfiniteTimeSpan, bound.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            Console.WriteLine($"lost {handle.Lost.IsCancellationRequested}");
            break;
        default:
            Console.Error.WriteLine($"unknown command: {line}");
            return 64;
    }
}

return 0;

/// <summary>A lock handle as its holder last saw it: its name and token, and not yet lost.</summary>
internal sealed class HandleAsSeen(string name, long fencingToken) : ILockHandle
{
    public string Name => name;

    public long FencingToken => fencingToken;

    public CancellationToken Lost => CancellationToken.None;

    public bool IsHeld => true;

    public void ThrowIfNotHeld()
    {
    }

    public ValueTask ReleaseAsync() => default;

    public ValueTask DisposeAsync() => default;
}

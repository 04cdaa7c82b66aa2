using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Latchkey.Redis;

/// <summary>
/// How waiters and status watchers hear of changes: a lock's channel on every master, and (fair mode) this
/// provider's own wake-up channel, on which a wake-up names the one queue member it is for.
/// </summary>
internal sealed class RedisListeners(RedisMasters masters, string wakeChannel)
{
    private readonly ConcurrentDictionary<string, Pulse> _fairWaiters = new(StringComparer.Ordinal);
    private readonly Lock _wakeGate = new();
    private Task<IDisposable>? _wakeSubscription;

    /// <summary>Whether every master already listens on <paramref name="channel"/>, so listening costs no round trip.</summary>
    public bool AllListening(string channel) => masters.Nodes.All(n => n.IsListening(channel));

    /// <summary>Listens on every master it can; fails unless a majority confirmed the subscription.</summary>
    public async ValueTask ListenAsync(RedisChannel channel, Action<RedisValue> listener, List<IDisposable> registrations)
    {
        var failures = 0;
        LockBackendUnavailableException? first = null;
        foreach (var node in masters.Nodes)
        {
            try
            {
                registrations.Add(await node.ListenAsync(channel, listener).ConfigureAwait(false));
            }
            catch (LockBackendUnavailableException ex)
            {
                failures++;
                first ??= ex;
            }
        }

        if (failures > masters.Tolerated)
        {
            throw first!;
        }
    }

    /// <summary>Listens on every master where the channel is already subscribed; false (and nothing added) unless all are.</summary>
    public bool TryListenNow(RedisChannel channel, Action<RedisValue> listener, List<IDisposable> registrations)
    {
        foreach (var node in masters.Nodes)
        {
            if (node.TryListenNow(channel, listener) is not { } registration)
            {
                foreach (var added in registrations)
                {
                    added.Dispose();
                }

                registrations.Clear();
                return false;
            }

            registrations.Add(registration);
        }

        return true;
    }

    /// <summary>Fires <paramref name="pulse"/> on each wake-up addressed to <paramref name="member"/>, from when this returns.</summary>
    public Task<IDisposable> AddFairWaiterAsync(string member, Pulse pulse)
    {
        _fairWaiters[member] = pulse;
        lock (_wakeGate)
        {
            if (_wakeSubscription is null || _wakeSubscription.IsFaulted)
            {
                _wakeSubscription = masters.Nodes[0].ListenAsync(RedisChannel.Literal(wakeChannel), OnWake).AsTask();
            }

            return _wakeSubscription;
        }
    }

    /// <summary>Whether the wake channel is subscribed (and confirmed), so <see cref="RegisterFairWaiter"/> may be used.</summary>
    public bool WakeChannelReady
    {
        get
        {
            lock (_wakeGate)
            {
                return _wakeSubscription is { IsCompletedSuccessfully: true };
            }
        }
    }

    /// <summary>As <see cref="AddFairWaiterAsync"/>, without a round trip: only once <see cref="WakeChannelReady"/>.</summary>
    public void RegisterFairWaiter(string member, Pulse pulse) => _fairWaiters[member] = pulse;

    public void RemoveFairWaiter(string member) => _fairWaiters.TryRemove(member, out _);

    /// <summary>Forgets the wake-up subscription (its node is being disposed).</summary>
    public void Reset()
    {
        lock (_wakeGate)
        {
            _wakeSubscription = null;
        }
    }

    private void OnWake(RedisValue member)
    {
        if (_fairWaiters.TryGetValue(member.ToString(), out var pulse))
        {
            pulse.Fire();
        }
    }
}

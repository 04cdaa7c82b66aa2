namespace Latchkey.Redis;

/// <summary>Something the provider's renewal loop keeps alive on the server: a held lease, or a waiter's place in a queue.</summary>
internal interface IRenewable
{
    /// <summary>The lease length the server grants on each renewal.</summary>
    TimeSpan Ttl { get; }

    /// <summary>Whether failing to renew in time loses something (a held lease), so <see cref="OnLost"/> must fire by the deadline.</summary>
    bool CanBeLost { get; }

    /// <summary>Renews on the server.</summary>
    Task<RenewOutcome> RenewAsync();

    /// <summary>Called once when the server says it is gone, or when renewal was not confirmed in time.</summary>
    void OnLost();
}
